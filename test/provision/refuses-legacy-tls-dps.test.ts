import assert from 'node:assert/strict';
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
    await assert.rejects(provisionDevice(optionsFor(lab, device, { port: legacy.port, tls: { ca: lab.caPem } })), (e: ProvisioningError) => {
      assert.equal(e.code, 'TLS_VERSION_TOO_LOW');
      assert.match(e.message, /127\.10\.9\.9/);
      return true;
    });
  });
});
