// Item 12 of the hardening issue: `DEBUG=*` prints SAS tokens through third-party namespaces (mqtt-packet, mqttjs).
// dps-check, even with --verbose and --register, never enables a foreign namespace; its own namespaces stay on.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabHandle } from '../../src/index';
import { ownDebugNamespaces } from '../../src/checks/debug-scope';
import { runCli } from '../checks/cli-helper';
import { startTestLab } from '../support/provision-lab';

describe('hardening (input): dps-check enables only dps-private-link:* debug namespaces', function () {
  this.timeout(60_000);
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  it('DEBUG values are reduced to our own namespaces', () => {
    const rows: [string, string][] = [
      ['*', 'dps-private-link:*'],
      ['mqtt-packet:*,mqttjs*', ''],
      ['*,-dps-private-link:lab:*', 'dps-private-link:*,-dps-private-link:lab:*'],
      ['dps-private-link:endpoint azure*', 'dps-private-link:endpoint'],
      ['-*', ''],
    ];
    for (const [given, kept] of rows) assert.equal(ownDebugNamespaces(given), kept, given);
  });

  it('DEBUG=* dps-check --register --verbose: our debug lines, no mqtt-packet/mqttjs line, no key or SAS signature', async () => {
    const device = await lab.createDevice('debug-scope', 'symmetric-key');
    assert.ok('symmetricKey' in device.auth);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-input-debug-'));
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(ca, lab.caPem);
    const run = await runCli(
      [
        '--host', lab.dps.host, '--id-scope', lab.dps.idScope, '--registration-id', device.registrationId,
        '--dns-server', lab.dnsServer, '--expect-cidr', String(lab.vnetCidrs[0]), '--ca', ca,
        '--port', String(lab.dps.port), '--ws-port', String(lab.dps.wsPort), '--hub-port', String(lab.hub.port),
        '--hub-ws-port', String(lab.hub.wsPort), '--timeout-ms', '3000', '--dont-run', 'clock-skew',
        '--register', '--verbose',
      ], // prettier-ignore
      { DEBUG: '*', DEBUG_COLORS: '0', DPS_SYMMETRIC_KEY: device.auth.symmetricKey },
    );
    assert.match(run.stdout, /dps-register/);
    assert.match(run.stderr, /dps-private-link:/, 'our own namespaces still log');
    assert.doesNotMatch(run.stderr, /mqtt-packet|mqttjs|azure-iot/, 'no foreign namespace is enabled');
    const all = run.stdout + run.stderr;
    assert.ok(!all.includes(device.auth.symmetricKey), 'the key is never printed');
    assert.doesNotMatch(all, /sig=(?!\[redacted\])[A-Za-z0-9%]/, 'no SAS signature is printed');
  });
});
