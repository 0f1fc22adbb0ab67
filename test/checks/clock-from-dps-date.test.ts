// End to end: dps-check (a real child process, no --ntp-server) reads the lab DPS's HTTP Date header on 443 as its
// clock source inside the VNET; a lab clock skewed with clockOffsetMs is reported as CLOCK_SKEW naming that source.
// Every run passes --dns-server <lab DNS>: no Azure name ever goes to the system resolver.
import assert from 'node:assert/strict';
import { startLab } from '../../src/lab/lab';
import type { LabHandle } from '../../src/lab/types';
import { codesOf, jsonOf, resultOf, runCli, type JsonDoc } from './cli-helper';
import { put, tempDir } from './fixtures';

const MINUTE = 60_000;

describe('dps-check clock-skew from the lab DPS Date header', function () {
  this.timeout(60_000);
  let lab: LabHandle;
  let base: string[];
  const dir = tempDir('dps-clock-lab-');

  before(async () => {
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0, clockOffsetMs: 10 * MINUTE });
    base = [
      '--host',
      lab.dps.host,
      '--id-scope',
      lab.dps.idScope,
      '--dns-server',
      lab.dnsServer,
      '--expect-cidr',
      lab.vnetCidrs[0] as string,
      '--ca',
      put(dir, 'lab-ca.pem', lab.caPem),
      '--port',
      String(lab.dps.port),
      '--ws-port',
      String(lab.dps.wsPort),
      '--hub-port',
      String(lab.hub.port),
      '--timeout-ms',
      '3000',
      '--json',
    ];
  });
  after(() => lab?.close());

  const clockCheck = (doc: JsonDoc): JsonDoc['checks'][number] => {
    const c = doc.checks.find((x) => x.id === 'clock-skew');
    assert.ok(c, 'the run has a clock-skew check');
    return c;
  };
  const dateSource = (): RegExp =>
    new RegExp(
      `HTTP Date header from ${lab.dps.host.replace(/\./g, '\\.')} at ${lab.dps.address.replace(/\./g, '\\.')}:${lab.dps.wsPort}`,
    );

  it('a lab started 10 minutes ahead: CLOCK_SKEW error, the device is ~600 s behind the DPS Date header, exit 1', async () => {
    const run = await runCli(base);
    const doc = jsonOf(run);
    assert.equal(
      resultOf(doc, 'dps-tcp-websocket'),
      'ok',
      JSON.stringify(doc.checks.find((c) => c.id === 'dps-tcp-websocket')),
    );
    assert.deepEqual(codesOf(doc, 'clock-skew'), ['CLOCK_SKEW'], JSON.stringify(clockCheck(doc)));
    const finding = clockCheck(doc).findings[0];
    assert.equal(finding?.severity, 'error');
    assert.match(finding?.message ?? '', /is (599|600|601) s behind the reference time/);
    assert.match(finding?.message ?? '', dateSource());
    assert.match(String(clockCheck(doc).evidence['source']), dateSource());
    assert.equal(run.code, 1);
  });

  it('the same lab put back on the host clock with setClockOffset(0): clock-skew ok from the same source, no error', async () => {
    lab.setClockOffset(0);
    const run = await runCli(base);
    const doc = jsonOf(run);
    const check = clockCheck(doc);
    assert.equal(check.result, 'ok', JSON.stringify(check));
    assert.deepEqual(check.findings, []);
    assert.match(String(check.evidence['source']), dateSource());
    assert.ok(Math.abs(Number(check.evidence['skewSeconds'])) <= 1, `skew ${String(check.evidence['skewSeconds'])} s`);
    assert.equal(doc.summary.error, 0, JSON.stringify(doc.checks.filter((c) => c.result === 'error')));
    assert.equal(run.code, 0);
  });

  it('90 s of skew set at run time is a warning, not an error', async () => {
    lab.setClockOffset(-90_000);
    const doc = jsonOf(await runCli(base));
    assert.equal(resultOf(doc, 'clock-skew'), 'warning', JSON.stringify(clockCheck(doc)));
    assert.match(clockCheck(doc).findings[0]?.message ?? '', /is (89|90|91) s ahead of/);
  });
});
