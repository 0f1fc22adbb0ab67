import assert from 'node:assert/strict';
import { createFinding } from '../../src/findings/finding';
import { renderCheck, toJsonDocument } from '../../src/checks/render';
import {
  findingsToJson,
  findingToJson,
  renderFindingsJson,
  renderFindingsText,
  wrapLines,
} from '../../src/findings/render';

const warning = createFinding('DNS_MIXED_ANSWERS', {
  host: 'mydps.azure-devices-provisioning.net',
  resolver: '127.0.0.53:53',
  inRange: ['10.1.2.4'],
  outOfRange: ['20.61.4.5'],
  expectedCidrs: ['10.1.0.0/16'],
});
const error = createFinding('DNS_NXDOMAIN', { host: 'nope.azure-devices-provisioning.net', resolver: 'system' });

describe('findings renderers', () => {
  it('text puts errors first, with the code, the message and the fix', () => {
    const text = renderFindingsText([warning, error]);
    const lines = text.split('\n');
    assert.match(
      lines[0] ?? '',
      /^× DNS_NXDOMAIN \(error\): the system resolver answered NXDOMAIN for nope\.azure-devices-provisioning\.net/,
    );
    assert.match(lines[1] ?? '', /^ {4}fix: Check the spelling of nope\.azure-devices-provisioning\.net/);
    assert.equal(lines[2], `    docs: ${error.link}`);
    assert.match(lines[3] ?? '', /^‼ DNS_MIXED_ANSWERS \(warning\): .*10\.1\.2\.4.*20\.61\.4\.5/);
    assert.doesNotMatch(text, /\u001b\[/, 'no colour unless asked');
  });

  it('text says so when there is nothing, and colours only on request', () => {
    assert.equal(renderFindingsText([]), '√ no findings');
    assert.match(renderFindingsText([error], { color: true }), /^\u001b\[31m×\u001b\[0m DNS_NXDOMAIN/);
  });

  it('verbose text lists the evidence with secrets redacted', () => {
    const f = { ...error, evidence: { ...error.evidence, sasToken: 'SharedAccessSignature sr=x&sig=y' } };
    const text = renderFindingsText([f], { verbose: true });
    assert.match(text, /resolver: "system"/);
    assert.match(text, /sasToken: "\[redacted\]"/);
    assert.doesNotMatch(text, /sig=y/);
  });

  it('JSON round-trips with counts and redacted evidence', () => {
    const f = { ...warning, evidence: { ...warning.evidence, symmetricKey: 'c2VjcmV0' } };
    const parsed = JSON.parse(renderFindingsJson([f, error])) as ReturnType<typeof findingsToJson>;
    assert.equal(parsed.errors, 1);
    assert.equal(parsed.warnings, 1);
    assert.deepEqual(
      parsed.findings.map((x) => x.code),
      ['DNS_MIXED_ANSWERS', 'DNS_NXDOMAIN'],
    );
    assert.equal(parsed.findings[0]?.evidence['symmetricKey'], '[redacted]');
    assert.deepEqual(parsed.findings[1], JSON.parse(JSON.stringify(error)));
  });

  it('nests under something else: indent, no symbols, the given order, the fix two columns past the code', () => {
    const text = renderFindingsText([warning, error], { indent: '      ', symbols: false, order: 'given' });
    assert.deepEqual(text.split('\n'), [
      `      DNS_MIXED_ANSWERS (warning): ${warning.message}`,
      `        fix: ${warning.remediation}`,
      `        docs: ${warning.link}`,
      `      DNS_NXDOMAIN (error): ${error.message}`,
      `        fix: ${error.remediation}`,
      `        docs: ${error.link}`,
    ]);
  });

  it('is what dps-check prints under a check, and what its --json carries for each finding', () => {
    const f = { ...error, evidence: { ...error.evidence, passphrase: 'hunter2' } };
    const report = {
      id: 'dps-dns',
      title: 'DNS',
      section: 'dns' as const,
      result: 'error' as const,
      findings: [f],
      evidence: {},
      detail: 'd',
      durationMs: 1,
    };
    assert.equal(
      renderCheck(report, { colour: false, verbose: false }),
      `  × dps-dns: DNS — d\n${renderFindingsText([f], { indent: '      ', symbols: false, width: 80 })}`,
    );
    assert.match(renderCheck(report, { colour: false, verbose: false }), /^ {6}DNS_NXDOMAIN \(error\): /m);
    const doc = toJsonDocument('0.0.0', [report], { ok: 0, warning: 0, error: 1, skipped: 0 });
    assert.deepEqual(doc.checks[0]?.findings, [findingToJson(f)]);
    assert.equal(doc.checks[0]?.findings[0]?.evidence['passphrase'], '[redacted]');
  });
});

describe('wrapLines', () => {
  const cases: { text: string; first: string; rest: string; width?: number; lines: string[] }[] = [
    { text: 'a b c', first: '', rest: '', lines: ['a b c'] },
    { text: 'aaa bbb ccc', first: '- ', rest: '  ', width: 9, lines: ['- aaa bbb', '  ccc'] },
    { text: 'a-very-long-name', first: 'key: ', rest: '  ', width: 20, lines: ['key:', '  a-very-long-name'] },
    { text: 'short', first: 'key: ', rest: '  ', width: 12, lines: ['key: short'] },
    { text: 'https://learn.microsoft.com/x', first: '', rest: '', width: 10, lines: ['https://learn.microsoft.com/x'] },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.text)} at ${c.width ?? 'no'} columns`, () => {
      assert.deepEqual(wrapLines(c.text, c.first, c.rest, c.width), c.lines);
    });
  }
});
