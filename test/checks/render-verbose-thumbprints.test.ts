// --verbose at 80 columns: a certificate fingerprint in Node's colon form (95 characters for SHA-256) fits nowhere,
// so the text shows it as Azure does (hex digits only, 64), whole under its key; other values stay as they are.
import assert from 'node:assert/strict';
import { renderCheck } from '../../src/checks/render';
import type { CheckReport } from '../../src/checks/types';

describe('dps-check --verbose: fingerprints as thumbprints', () => {
  const colon = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(
    ':',
  );
  const report: CheckReport = {
    id: 'dps-tls-mqtt',
    title: 'DPS TLS on 8883',
    section: 'tls',
    result: 'ok',
    findings: [],
    evidence: { chain: [{ subject: 'CN=x', fingerprint256: colon }], time: '12:30:45' },
    durationMs: 1,
  };

  it('prints a SHA-256 fingerprint without colons, whole, within 80 columns', () => {
    const text = renderCheck(report, { colour: false, verbose: true, width: 80 });
    assert.ok(text.includes(colon.replace(/:/g, '')), text);
    assert.ok(!text.includes(colon), text);
    assert.deepEqual(
      text.split('\n').filter((l) => l.length > 80),
      [],
    );
    assert.match(text, /12:30:45/, 'a value that is not a fingerprint keeps its colons');
  });
});
