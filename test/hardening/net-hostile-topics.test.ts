// Issue 14 item 6: topics from an authenticated peer that crash the Azure SDK inside its MQTT message handler.
// A DPS answering on `res/200/?$rid=__proto__` (or constructor, toString), a hub answering the twin request with
// `$rid=__proto__`, a hub sending a C2D message whose topic is not URI-decodable. The caller gets a typed error (DPS)
// or the message is dropped (hub), and nothing escapes as an uncaught exception.
import assert from 'node:assert/strict';
import { createHubClient, openHubClient, provisionDevice, ProvisioningError } from '../../src/index';
import type { ProvisioningResult, TransportName } from '../../src/index';
import { flushRejections, guardProcess, type ProcessGuard } from './net-process-guard';
import { resultFor, ridOf, startHostilePeer, type HostilePeer } from './net-hostile-peer';
import { unsafeTopic } from '../../src/connection/topic-guard';

const DPS = 'hostile-topics.azure-devices-provisioning.net';
const HUB = 'hostile-topics-hub.azure-devices.net';
const KEY = Buffer.alloc(32, 3).toString('base64');

describe('topics that would crash the SDK never reach it (issue 14 item 6)', function () {
  this.timeout(20_000);
  let guard: ProcessGuard;
  beforeEach(() => (guard = guardProcess()));
  afterEach(() => guard.dispose());

  it('unsafeTopic: prototype names as $rid, duplicate $rid, undecodable segments; ordinary topics pass', () => {
    for (const t of [
      '$dps/registrations/res/200/?$rid=__proto__',
      '$dps/registrations/res/200/?$rid=constructor&retry-after=1',
      '$dps/registrations/res/202/?retry-after=1&$rid=toString',
      '$dps/registrations/res/200/?$rid=%5F_proto__',
      '$iothub/twin/res/200/?$rid=hasOwnProperty',
      '$dps/registrations/res/200/?$rid=1&$rid=2',
      'devices/dev-1/messages/devicebound/%E0%A4%A',
      'devices/dev-1/messages/devicebound/a=%ZZ',
    ]) {
      assert.ok(unsafeTopic(t), t);
    }
    for (const t of [
      '$dps/registrations/res/202/?$rid=6f1c0f3e-2b8e-4f55-9f58-2b1f8f5a0c11&retry-after=3',
      '$iothub/twin/res/200/?$rid=42',
      'devices/dev-1/messages/devicebound/%24.to=%2Fdevices%2Fdev-1%2Fmessages%2FdeviceBound&k=v%20w',
    ]) {
      assert.equal(unsafeTopic(t), undefined, t);
    }
  });

  for (const transport of ['mqtt'] as TransportName[]) {
    describe(`${transport}: a DPS answering with a $rid the SDK would look up on Object.prototype`, () => {
      let peer: HostilePeer;
      let rid = '__proto__';
      before(async () => {
        peer = await startHostilePeer(DPS, {
          onPublish(conn, p) {
            if (!p.topic.startsWith('$dps/registrations/PUT/')) return;
            conn.publish(
              `$dps/registrations/res/202/?$rid=${rid}&retry-after=0`,
              '{"operationId":"op","status":"assigning"}',
            );
          },
        });
      });
      after(() => peer.close());
      for (const name of ['__proto__', 'constructor', 'toString']) {
        it(`$rid=${name} → DPS_MALFORMED_RESPONSE, nothing uncaught`, async () => {
          rid = name;
          const err = await provisionDevice({
            provisioningHost: DPS,
            idScope: '0ne00000001',
            registrationId: 'dev-1',
            auth: { symmetricKey: KEY },
            network: { expectedCidrs: ['127.77.0.0/16'], dnsServers: [peer.dns.endpoint] },
            tls: { ca: peer.caPem },
            port: peer.port,
            transport,
            timeoutMs: 4000,
          }).then(
            () => assert.fail('resolved'),
            (e: unknown) => e,
          );
          await flushRejections();
          assert.deepEqual(guard.escaped, []);
          assert.ok(err instanceof ProvisioningError, String(err));
          assert.equal(err.code, 'DPS_MALFORMED_RESPONSE');
        });
      }
    });
  }

  describe('a hub sending hostile topics to the hub client', () => {
    let hub: HostilePeer;
    before(async () => {
      hub = await startHostilePeer(HUB, {
        onPublish(conn, p) {
          // The twin GET: answered on a $rid the SDK would find on Object.prototype.
          if (p.topic.startsWith('$iothub/twin/GET/')) {
            assert.ok(ridOf(p.topic));
            conn.publish('$iothub/twin/res/200/?$rid=__proto__', '{}');
          }
        },
      });
    });
    after(() => hub.close());

    const result = (): ProvisioningResult => resultFor(DPS, HUB, hub.address);

    it('twin response on $rid=__proto__ is dropped (the getTwin times out in the caller), nothing uncaught', async () => {
      const client = createHubClient(result(), { symmetricKey: KEY }, { tls: { ca: hub.caPem }, port: hub.port });
      try {
        await openHubClient(client, { timeoutMs: 4000 });
        const twin = client.getTwin();
        const outcome = await Promise.race([
          twin.then(
            () => 'twin',
            (e: Error) => `error: ${e.message}`,
          ),
          new Promise((r) => setTimeout(() => r('no answer'), 1500)),
        ]);
        twin.catch(() => undefined);
        await flushRejections();
        assert.deepEqual(guard.escaped, []);
        assert.notEqual(outcome, 'twin');
      } finally {
        await client.close().catch(() => undefined);
      }
    });

    it('a C2D message whose topic is not URI-decodable is dropped, nothing uncaught', async () => {
      const client = createHubClient(result(), { symmetricKey: KEY }, { tls: { ca: hub.caPem }, port: hub.port });
      const received: string[] = [];
      try {
        await openHubClient(client, { timeoutMs: 4000 });
        client.on('message', (m: { data: Buffer }) => received.push(String(m.data)));
        await new Promise((r) => setTimeout(r, 300));
        for (const c of hub.live()) {
          c.publish('devices/dev-1/messages/devicebound/%E0%A4%A', 'bad');
          c.publish('devices/dev-1/messages/devicebound/k=v', 'good');
        }
        await new Promise((r) => setTimeout(r, 500));
        await flushRejections();
        assert.deepEqual(guard.escaped, []);
        assert.deepEqual(received, ['good']);
      } finally {
        await client.close().catch(() => undefined);
      }
    });
  });
});
