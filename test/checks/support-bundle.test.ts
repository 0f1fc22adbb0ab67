import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadedConfig } from '../../src/config/types';
import { renderCheck, toJsonDocument } from '../../src/checks/render';
import { writeSupportBundle } from '../../src/checks/report';
import type { CheckReport } from '../../src/checks/types';

const sas = 'SharedAccessSignature sr=0ne%2fregistrations%2fdev&sig=c2VjcmV0JTNE&se=1&skn=registration';

function reportWithSecretEvidence(): CheckReport {
  return {
    id: 'dps-register',
    title: 'Registration',
    section: 'provisioning',
    result: 'error',
    findings: [],
    evidence: { note: sas, keyFile: '/etc/dps/dev.key' },
    durationMs: 1,
  } as unknown as CheckReport;
}

describe('dps-check output never carries a secret', () => {
  it('--json: secret values in evidence are redacted, file paths kept', () => {
    const doc = toJsonDocument('0.0.0', [reportWithSecretEvidence()], {
      ok: 0,
      warnings: 0,
      errors: 1,
      skipped: 0,
    } as never);
    const text = JSON.stringify(doc);
    assert.ok(!text.includes('c2VjcmV0'), text);
    assert.match(text, /\/etc\/dps\/dev\.key/);
  });

  it('--verbose text: evidence and the cause chain are redacted too', () => {
    const report = { ...reportWithSecretEvidence(), errorChain: [`connect failed: ${sas}`] } as CheckReport;
    const text = renderCheck(report, { colour: false, verbose: true } as never);
    assert.ok(!text.includes('c2VjcmV0'), text);
    assert.match(text, /\/etc\/dps\/dev\.key/);
  });

  it('--report: proxy credentials are cut out, and an existing file is made 0600', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bundle-')), 'report.json');
    writeFileSync(file, 'old', { mode: 0o644 });
    const loaded: LoadedConfig = { config: {} as LoadedConfig['config'], sources: {}, passphrase: 'hunter2' };
    const doc = toJsonDocument('0.0.0', [reportWithSecretEvidence()], {
      ok: 0,
      warnings: 0,
      errors: 1,
      skipped: 0,
    } as never);
    writeSupportBundle(file, doc, loaded, new Date(), { HTTPS_PROXY: 'http://alice:Pr0xyPassw0rd@127.0.0.9:3128' });
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('Pr0xyPassw0rd') && !text.includes('hunter2') && !text.includes('c2VjcmV0'), text);
    assert.match(text, /127\.0\.0\.9:3128/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});
