import assert from 'node:assert/strict';
import { provisionDevice, ProvisioningError } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { NETNS_NOTE, optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

describe(`provision: enforce refuses before any connection (${NETNS_NOTE})`, function () {
  let lab: LabHandle;
  let device: LabDevice;
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('enforce-device', 'x509-individual');
  });
  after(() => lab.close());
  afterEach(() => lab.setDnsView('private'));

  const refuses = async (expectedCode: string, answered: string): Promise<void> => {
    const spy = spyOnConnector();
    const before = JSON.stringify(lab.counters.connections);
    try {
      const err = await provisionDevice(optionsFor(lab, device)).then(
        () => assert.fail('provisioning must be refused'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ProvisioningError, String(err));
      assert.equal(err.code, expectedCode);
      assert.equal(err.step, 'resolving');
      assert.equal(err.findings[0].code, expectedCode);
      assert.ok(err.message.includes(answered), `message names the address: ${err.message}`);
      assert.deepEqual(spy.calls, [], 'no socket was opened');
      assert.equal(JSON.stringify(lab.counters.connections), before, 'the lab saw no connection');
    } finally {
      spy.restore();
    }
  };

  it('DNS answering the public twin (privatelink CNAME to the public path): DNS_PRIVATELINK_NOT_PRIVATE', async () => {
    lab.setDnsView('public');
    await refuses('DNS_PRIVATELINK_NOT_PRIVATE', '127.200.0.1');
  });

  it('DNS answering a real public address (20.43.1.7): refused, nothing dialled', async () => {
    lab.dns.setRecord(`lab-dps.privatelink.azure-devices-provisioning.net`, { a: ['20.43.1.7'], ttl: 10 });
    await refuses('DNS_PRIVATELINK_NOT_PRIVATE', '20.43.1.7');
  });

  it('DNS answering 10.99.0.4, private but outside the VNET: DNS_OUTSIDE_VNET, nothing dialled', async () => {
    lab.setDnsView('outside-vnet');
    await refuses('DNS_OUTSIDE_VNET', '10.99.0.4');
  });

  it('no privatelink at all: refused with the DNS finding, nothing dialled', async () => {
    lab.setDnsView('no-privatelink');
    const spy = spyOnConnector();
    try {
      await assert.rejects(provisionDevice(optionsFor(lab, device)), (e: ProvisioningError) =>
        e.code.startsWith('DNS_'),
      );
      assert.deepEqual(spy.calls, []);
    } finally {
      spy.restore();
    }
  });

  it('NXDOMAIN: DNS_NXDOMAIN, nothing dialled', async () => {
    lab.setDnsView('nxdomain');
    await assert.rejects(provisionDevice(optionsFor(lab, device)), (e: ProvisioningError) => e.code === 'DNS_NXDOMAIN');
  });

  it('mixed answer (private + public): connects only to the in-range address', async () => {
    lab.setDnsView('mixed');
    const spy = spyOnConnector();
    const before = { ...lab.counters.connections };
    try {
      const result = await provisionDevice(optionsFor(lab, device));
      assert.equal(result.assignedHub, lab.hub.host);
      assert.ok(result.findings.some((f) => f.code === 'DNS_MIXED_ANSWERS'));
      assert.deepEqual(
        spy.calls.map((c) => c.split(' ')[2].split(':')[0]),
        [lab.dps.address],
      );
      assert.equal(lab.counters.connections.publicTwin, before.publicTwin);
    } finally {
      spy.restore();
    }
  });
});
