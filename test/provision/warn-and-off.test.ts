import assert from 'node:assert/strict';
import { provisionDevice, ProvisioningError } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';

describe('provision: warn and off connect anyway and explain the outcome', function () {
  let lab: LabHandle;
  let device: LabDevice;
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('warn-device', 'symmetric-key');
  });
  after(() => lab.close());
  afterEach(() => lab.setDnsView('private'));

  for (const policy of ['warn', 'off'] as const) {
    it(`${policy}: reaching the public twin gives DPS_UNAUTHORIZED_PUBLIC with the DNS findings as context`, async () => {
      lab.setDnsView('public');
      const before = lab.counters.connections.publicTwin;
      const err = await provisionDevice(
        optionsFor(lab, device, { network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer], policy } }),
      ).then(
        () => assert.fail('the public twin must refuse'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ProvisioningError, String(err));
      assert.equal(err.code, 'DPS_UNAUTHORIZED_PUBLIC');
      assert.match(err.message, /127\.200\.0\.1/);
      assert.match(err.message, /public endpoint/);
      assert.match(err.message, /privatelink\.azure-devices-provisioning\.net/);
      assert.ok(
        err.findings.some((f) => f.code === 'DNS_PRIVATELINK_NOT_PRIVATE'),
        'the DNS cause is listed too',
      );
      assert.equal(lab.counters.connections.publicTwin, before + 1);
    });
  }

  it('warn: a healthy private path gives no error findings', async () => {
    const result = await provisionDevice(
      optionsFor(lab, device, {
        network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer], policy: 'warn' },
      }),
    );
    assert.equal(result.dps.verdict, 'private-in-vnet');
    assert.deepEqual(
      result.findings.filter((f) => f.severity === 'error'),
      [],
    );
  });

  it('401 from the verified private address (disabled enrollment) is DPS_UNAUTHORIZED, not a DNS problem', async () => {
    const disabled = await lab.createDevice('disabled-device', 'symmetric-key', { status: 'disabled' });
    await assert.rejects(provisionDevice(optionsFor(lab, disabled)), (e: ProvisioningError) => {
      assert.equal(e.code, 'DPS_UNAUTHORIZED');
      assert.match(e.message, /127\.10\.0\.10/);
      assert.match(e.message, /disabled-device/);
      return true;
    });
  });
});
