import assert from 'node:assert/strict';
import { provisionDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { startLab } from '../../src/lab/lab';
import { optionsFor, startTestLab } from '../support/provision-lab';

// design.md §2: whether the service certificate covers <name>.privatelink.… is unverified; when a device is configured
// with a privatelink name, report what the certificate's SANs actually cover.
// The refusal (certificate without privatelink SANs: TLS_HOSTNAME_MISMATCH) runs over every transport in
// test/transports/provisioning-suite.ts; this case needs a second lab whose certificates list the privatelink names.
describe('e2e: a device configured with the privatelink name instead of the service name', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

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
