import assert from 'node:assert/strict';
import { createHubClient, HubConnectionError, openHubClient, provisionDevice } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { verifyAssignedHub } from '../../src/endpoint/verify-hub';
import { optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

describe('handoff: the assigned hub is verified like DPS, and the hub client is pinned', function () {
  let lab: LabHandle;
  let device: LabDevice;
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('handoff-device', 'symmetric-key');
  });
  after(() => lab.close());
  afterEach(() => lab.setDnsView('private', 'hub'));

  const hubOptions = () => ({ tls: { ca: lab.caPem }, port: lab.hub.port, wsPort: lab.hub.wsPort });

  it('hub answering publicly: provisioning succeeds with HUB_PUBLIC_ADDRESS, and createHubClient refuses without a socket', async () => {
    lab.setDnsView('public', 'hub');
    const result = await provisionDevice(optionsFor(lab, device));
    const finding = result.findings.find((f) => f.code === 'HUB_PUBLIC_ADDRESS');
    assert.ok(finding, JSON.stringify(result.findings.map((f) => f.code)));
    assert.equal(finding.severity, 'error');
    assert.match(finding.message, /lab-hub\.azure-devices\.net/);
    assert.match(finding.remediation, /privatelink\.azure-devices\.net/);
    const spy = spyOnConnector();
    const before = { ...lab.counters.connections };
    try {
      assert.throws(
        () => createHubClient(result, device.auth, hubOptions()),
        (e: HubConnectionError) => e.code === 'HUB_PUBLIC_ADDRESS',
      );
      assert.deepEqual(spy.calls, []);
      assert.deepEqual(lab.counters.connections, before);
    } finally {
      spy.restore();
    }
  });

  it('hub private but outside the VNET (10.99.0.4): HUB_OUTSIDE_VNET, no connection', async () => {
    lab.setDnsView('outside-vnet', 'hub');
    const result = await provisionDevice(optionsFor(lab, device));
    assert.ok(result.findings.some((f) => f.code === 'HUB_OUTSIDE_VNET' && /10\.99\.0\.4/.test(f.message)));
    assert.throws(
      () => createHubClient(result, device.auth, hubOptions()),
      (e: HubConnectionError) => e.code === 'HUB_OUTSIDE_VNET',
    );
  });

  it('warn: the hub client goes to the public hub and the refusal is HUB_UNAUTHORIZED with the address', async () => {
    lab.setDnsView('public', 'hub');
    const result = await provisionDevice(
      optionsFor(lab, device, {
        network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer], policy: 'warn' },
      }),
    );
    // Same rule as the DNS findings: the policy lets the device connect, it does not make a public hub less wrong.
    assert.equal(result.findings.find((f) => f.code === 'HUB_PUBLIC_ADDRESS')?.severity, 'error');
    // The hub client does not take the policy from the result (an edited result could relax it): the caller says warn.
    assert.throws(
      () => createHubClient(result, device.auth, hubOptions()),
      (e: HubConnectionError) => e.code === 'HUB_PUBLIC_ADDRESS',
    );
    const client = createHubClient(result, device.auth, { ...hubOptions(), policy: 'warn' });
    const before = lab.counters.connections.hubPublic;
    await assert.rejects(openHubClient(client), (e: HubConnectionError) => {
      assert.equal(e.code, 'HUB_UNAUTHORIZED');
      assert.match(e.message, new RegExp(lab.hub.publicAddress.replace(/\./g, '\\.')));
      return true;
    });
    assert.equal(lab.counters.connections.hubPublic, before + 1);
  });

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
