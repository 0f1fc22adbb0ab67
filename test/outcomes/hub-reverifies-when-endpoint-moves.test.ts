// Private endpoint IPs change (endpoint recreated, migration). The hub client re-resolves and re-verifies the hub name
// after a drop, under the same ranges and policy: it reports DNS_ANSWER_CHANGED with before/after and carries on to
// the new verified address — and under enforce a move to a public address is refused without a socket.
import assert from 'node:assert/strict';
import { Message } from 'azure-iot-device';
import type { Client } from 'azure-iot-device';
import { createHubClient, openHubClient, provisionDevice } from '../../src/index';
import type { LabHandle, TransportName } from '../../src/index';
import { hubClientFindings, reverifyHubClient } from '../../src/handoff/reverify';
import { optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

/** The first address of each socket the spied connector opened ('tls <host> <addresses>:<port>'). */
const dialled = (calls: string[]): string[] => calls.map((c) => c.split(' ')[2].split(':')[0]);

/** Waits until the client's re-verification has reported something (the drop reaches it asynchronously). */
async function reported(client: Client, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (hubClientFindings(client).length === 0) {
    if (Date.now() > deadline) assert.fail('no re-verification finding after the drop');
    await new Promise((r) => setTimeout(r, 20));
  }
  await reverifyHubClient(client);
}

for (const transport of ['mqtt', 'mqtt-ws'] as TransportName[]) {
  describe(`${transport}: the hub client re-verifies when the hub's private endpoint moves`, function () {
    this.timeout(20_000);
    let lab: LabHandle;
    beforeEach(async () => {
      lab = await startTestLab();
    });
    afterEach(() => lab.close());

    const connected = async (name: string) => {
      const device = await lab.createDevice(`${transport}-${name}`, 'symmetric-key');
      const spy = spyOnConnector();
      const result = await provisionDevice(optionsFor(lab, device, { transport, connector: spy.connector }));
      const client = createHubClient(result, device.auth, {
        tls: { ca: lab.caPem },
        port: lab.hub.port,
        wsPort: lab.hub.wsPort,
        connector: spy.connector,
      });
      await openHubClient(client, { timeoutMs: 5000 });
      await client.sendEvent(new Message('before the move'));
      return { device, client, spy };
    };

    it('moved inside the VNET: DNS_ANSWER_CHANGED with before/after, and the next send reaches the new address', async () => {
      const { device, client, spy } = await connected('moves');
      await lab.moveHubEndpoint('127.10.0.21');
      await reported(client);
      const changed = hubClientFindings(client).find((f) => f.code === 'DNS_ANSWER_CHANGED');
      assert.ok(changed, JSON.stringify(hubClientFindings(client)));
      assert.deepEqual(changed.evidence['before'], ['127.10.0.20']);
      assert.deepEqual(changed.evidence['after'], ['127.10.0.21']);
      await client.sendEvent(new Message('after the move'));
      await client.close();
      assert.deepEqual(
        lab.received(device.deviceId).map((m) => m.payload.toString()),
        ['before the move', 'after the move'],
      );
      // DPS, the hub where it was, the hub where it is now: nothing else was ever dialled.
      assert.deepEqual(dialled(spy.calls), [lab.dps.address, '127.10.0.20', '127.10.0.21']);
    });

    it('the same answer on re-verification: no finding, the pins and the connection stay as they were', async () => {
      const { device, client, spy } = await connected('stays');
      await reverifyHubClient(client);
      assert.deepEqual(hubClientFindings(client), []);
      await client.sendEvent(new Message('again'));
      await client.close();
      assert.equal(lab.received(device.deviceId).length, 2);
      assert.deepEqual(dialled(spy.calls), [lab.dps.address, '127.10.0.20']);
    });

    it('enforce: moved to a public address — refused without a socket, with DNS_ANSWER_CHANGED and HUB_PUBLIC_ADDRESS', async () => {
      const { client, spy } = await connected('goes-public');
      const hubPublic = lab.counters.connections.hubPublic;
      lab.setDnsView('public', 'hub');
      await lab.moveHubEndpoint('127.10.0.22');
      await reported(client);
      const codes = hubClientFindings(client).map((f) => f.code);
      assert.deepEqual(codes, ['DNS_ANSWER_CHANGED', 'HUB_PUBLIC_ADDRESS']);
      assert.deepEqual(hubClientFindings(client)[0].evidence['after'], [lab.hub.publicAddress]);
      // The SDK retries a send for minutes; every attempt meanwhile fails at once without a socket.
      const sending = client.sendEvent(new Message('must not leave')).then(
        () => 'sent',
        () => 'failed',
      );
      await new Promise((r) => setTimeout(r, 500));
      await client.close().catch(() => undefined);
      assert.notEqual(await Promise.race([sending, Promise.resolve('pending')]), 'sent');
      assert.deepEqual(dialled(spy.calls), [lab.dps.address, '127.10.0.20'], 'the public hub was never dialled');
      assert.equal(lab.counters.connections.hubPublic, hubPublic);
    });
  });
}
