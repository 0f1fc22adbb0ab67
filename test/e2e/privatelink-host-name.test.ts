import assert from 'node:assert/strict';
import { provisionDevice, ProvisioningError } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { startLab } from '../../src/lab/lab';
import { optionsFor, startTestLab } from '../support/provision-lab';

// design.md §2: whether the service certificate covers <name>.privatelink.… is unverified; when a device is configured
// with a privatelink name, report what the certificate's SANs actually cover.
describe('e2e: a device configured with the privatelink name instead of the service name', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  it('certificate without privatelink SANs: TLS_HOSTNAME_MISMATCH naming what the certificate covers and the service name to use', async () => {
    const device = await lab.createDevice('pl-name', 'x509-individual');
    const err = await provisionDevice(optionsFor(lab, device, { provisioningHost: lab.dps.privatelinkHost })).then(
      () => assert.fail('the certificate does not cover the privatelink name'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProvisioningError, String(err));
    assert.equal(err.code, 'TLS_HOSTNAME_MISMATCH');
    assert.equal(err.findings[0].evidence.certificateNames, `DNS:${lab.dps.host}`);
    assert.match(
      err.findings[0].remediation,
      new RegExp(`configure the service name ${lab.dps.host.replace(/\./g, '\\.')}`),
    );
    assert.ok(
      err.findings.some((f) => f.code === 'ENDPOINT_PRIVATELINK_NAME'),
      'the endpoint finding is listed too',
    );
  });

  it('certificate that does list the privatelink name: provisions (the finding stays a note about the name)', async () => {
    const plLab = await startLab({
      mqttPort: lab.dps.port + 2,
      wsPort: lab.dps.port + 3,
      retryAfterSeconds: 0,
      privatelinkSans: true,
      dnsAddress: '127.0.0.54',
      dpsAddress: '127.10.5.10',
      hubAddress: '127.10.5.20',
      publicTwinAddress: '127.200.5.1',
      hubPublicTwinAddress: '127.200.5.2',
    });
    try {
      const device = await plLab.createDevice('pl-name-ok', 'symmetric-key');
      const result = await provisionDevice(optionsFor(plLab, device, { provisioningHost: plLab.dps.privatelinkHost }));
      assert.equal(result.assignedHub, plLab.hub.host);
    } finally {
      await plLab.close();
    }
  });
});
