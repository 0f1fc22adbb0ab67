// Issue 14 item 9: replies that were reported as the wrong thing. Deeply nested JSON from DPS ("Maximum call stack
// size exceeded" inside the SDK) came back as DPS_CONNECTION_LOST: it is DPS_MALFORMED_RESPONSE. A hub that accepts
// TLS and then closes before CONNACK was HUB_UNAUTHORIZED ("the hub rejected the device"): nothing rejected it.
import assert from 'node:assert/strict';
import {
  createHubClient,
  HubConnectionError,
  openHubClient,
  provisionDevice,
  ProvisioningError,
} from '../../src/index';
import type { ProvisioningResult } from '../../src/index';
import { flushRejections, guardProcess, type ProcessGuard } from './net-process-guard';
import { resultFor, ridOf, startHostilePeer, type HostilePeer } from './net-hostile-peer';

const DPS = 'hostile-nesting.azure-devices-provisioning.net';
const HUB = 'hostile-connack.azure-devices.net';
const KEY = Buffer.alloc(32, 4).toString('base64');

/** `{"status":"assigned","registrationState":[[[…]]]}` nested `depth` deep. */
const nested = (depth: number): string =>
  `{"operationId":"op","status":"assigned","registrationState":${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe('replies that used to be misdiagnosed (issue 14 item 9)', function () {
  this.timeout(20_000);
  let guard: ProcessGuard;
  beforeEach(() => (guard = guardProcess()));
  afterEach(() => guard.dispose());

  describe('a DPS answering with deeply nested JSON', () => {
    let peer: HostilePeer;
    let depth = 0;
    before(async () => {
      peer = await startHostilePeer(DPS, {
        onPublish(conn, p) {
          if (p.topic.startsWith('$dps/registrations/PUT/')) {
            conn.publish(`$dps/registrations/res/200/?$rid=${ridOf(p.topic)}`, nested(depth));
          }
        },
      });
    });
    after(() => peer.close());
    for (const d of [20_000, 200_000]) {
      it(`nesting ${d} deep → DPS_MALFORMED_RESPONSE (not DPS_CONNECTION_LOST), nothing uncaught`, async () => {
        depth = d;
        const err = await provisionDevice({
          provisioningHost: DPS,
          idScope: '0ne00000001',
          registrationId: 'dev-1',
          auth: { symmetricKey: KEY },
          network: { expectedCidrs: ['127.77.0.0/16'], dnsServers: [peer.dns.endpoint] },
          tls: { ca: peer.caPem },
          port: peer.port,
          timeoutMs: 5000,
        }).then(
          () => assert.fail('resolved'),
          (e: unknown) => e,
        );
        await flushRejections();
        assert.deepEqual(guard.escaped, []);
        assert.ok(err instanceof ProvisioningError, String(err));
        assert.equal(err.code, 'DPS_MALFORMED_RESPONSE', err.message);
      });
    }
  });

  describe('a hub that completes TLS and closes before CONNACK', () => {
    let hub: HostilePeer;
    before(async () => {
      hub = await startHostilePeer(HUB, { onConnect: (conn) => (conn.drop(), false) });
    });
    after(() => hub.close());
    const result = (): ProvisioningResult => resultFor(DPS, HUB, hub.address);

    it('→ HUB_CONNECTION_LOST naming the missing CONNACK, not HUB_UNAUTHORIZED', async () => {
      const client = createHubClient(result(), { symmetricKey: KEY }, { tls: { ca: hub.caPem }, port: hub.port });
      const err = await openHubClient(client, { timeoutMs: 5000 }).then(
        () => assert.fail('opened'),
        (e: unknown) => e,
      );
      await client.close().catch(() => undefined);
      await flushRejections();
      assert.deepEqual(guard.escaped, []);
      assert.ok(err instanceof HubConnectionError, String(err));
      assert.notEqual(err.code, 'HUB_UNAUTHORIZED');
      assert.equal(err.code, 'HUB_CONNECTION_LOST');
      assert.match(err.message, /CONNACK/);
    });
  });
});
