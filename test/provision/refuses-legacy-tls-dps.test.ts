import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { provisionDevice, ProvisioningError } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { issueCertificate } from '../../src/lab/certs';
import { startLegacyTlsServer } from '../connection/support';
import { optionsFor, startTestLab } from '../support/provision-lab';

describe('provision: a DPS name answering a TLS 1.1-only peer', function () {
  let lab: LabHandle;
  let legacy: Awaited<ReturnType<typeof startLegacyTlsServer>>;
  before(async function () {
    lab = await startTestLab();
    // The version is refused during the handshake, before the certificate is even looked at.
    const cert = issueCertificate({ commonName: lab.dps.host, dnsNames: [lab.dps.host], usage: 'server' });
    legacy = await startLegacyTlsServer('127.10.9.9', cert);
    lab.dns.setRecord('lab-dps.privatelink.azure-devices-provisioning.net', { a: ['127.10.9.9'], ttl: 10 });
  });
  after(async () => {
    legacy.close();
    await lab.close();
  });

  it('is refused with TLS_VERSION_TOO_LOW before any credential is sent', async () => {
    const device = await lab.createDevice('legacy-tls', 'x509-individual');
    await assert.rejects(
      provisionDevice(optionsFor(lab, device, { port: legacy.port, tls: { ca: lab.caPem } })),
      (e: ProvisioningError) => {
        assert.equal(e.code, 'TLS_VERSION_TOO_LOW');
        assert.match(e.message, /127\.10\.9\.9/);
        return true;
      },
    );
  });

  it('is refused the same way when the process runs with NODE_OPTIONS=--tls-min-v1.0', async function () {
    this.timeout(20_000);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures', 'legacy-tls-child.ts')],
      {
        env: { ...process.env, NODE_OPTIONS: '--tls-min-v1.0' },
        timeout: 18_000,
      },
    );
    const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { defaultMin: string; code: string };
    assert.equal(out.defaultMin, 'TLSv1', "the child's default minimum really was lowered");
    assert.equal(out.code, 'TLS_VERSION_TOO_LOW');
  });
});
