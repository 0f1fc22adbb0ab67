import assert from 'node:assert/strict';
import { createHubClient } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { verifyAssignedHub } from '../../src/endpoint/verify-hub';
import { startTestLab } from '../support/provision-lab';

// HUB_PUBLIC_ADDRESS, HUB_OUTSIDE_VNET and HUB_UNAUTHORIZED (warn) run over every transport in
// test/transports/provisioning-suite.ts; these two never open a hub connection.
describe('handoff: the assigned hub is verified like DPS, and the hub client is pinned', function () {
  let lab: LabHandle;
  let device: LabDevice;
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('handoff-device', 'symmetric-key');
  });
  after(() => lab.close());
  afterEach(() => lab.setDnsView('private', 'hub'));

  it('DPS in the public cloud assigning a hub in Azure Government: HUB_CROSS_CLOUD', async () => {
    lab.dns.setRecord('gov-hub.azure-devices.us', { a: [lab.hub.address], ttl: 10 });
    const v = await verifyAssignedHub('gov-hub.azure-devices.us', lab.dps.host, {
      expectedCidrs: lab.vnetCidrs,
      dnsServers: [lab.dnsServer],
    });
    const finding = v.findings.find((f) => f.code === 'HUB_CROSS_CLOUD');
    assert.ok(finding);
    assert.match(finding.message, /public cloud.*government cloud/);
  });

  it('createHubClient validates its input with a fix and never echoes the key', () => {
    assert.throws(() => createHubClient({} as never, device.auth), /Invalid result/);
    const result = { assignedHub: lab.hub.host, deviceId: 'x', hub: {}, findings: [] };
    assert.throws(
      () => createHubClient(result as never, { symmetricKey: 'not base64 !!' }),
      (e: Error) => /auth\.symmetricKey/.test(e.message) && !e.message.includes('not base64 !!'),
    );
  });
});
