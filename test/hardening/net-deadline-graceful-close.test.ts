// A deadline passing while the device says goodbye to a DPS that ignores the goodbye (no close after DISCONNECT, the
// device's FIN ignored). provisionDevice keeps its deadline — DPS_TIMEOUT — and, when it rejects, owns nothing any
// more: the graceful close it had started is cut, not left to finish on its own up to a second later.
import assert from 'node:assert/strict';
import { provisionDevice, ProvisioningError } from '../../src/index';
import { activeHandles } from '../support/provision-lab';
import { baselineHandles, flushRejections, guardProcess, leftOpen, settleLeftOpen } from './net-process-guard';
import { assignedBody, ridOf, startHostilePeer, type HostilePeer } from './net-hostile-peer';

const DPS = 'graceful-deadline.azure-devices-provisioning.net';
const HUB = 'graceful-deadline-hub.azure-devices.net';
const TIMEOUT_MS = 3000;
/** DPS answers this long before the deadline: the device is then assigned and closing when the deadline passes. */
const ANSWER_BEFORE_DEADLINE_MS = 300;
const ITERATIONS = 3;

describe('hardening: a deadline passing during the graceful disconnect', function () {
  this.timeout(60_000);
  let peer: HostilePeer;
  let started = 0;
  let disconnects = 0;
  before(async () => {
    peer = await startHostilePeer(
      DPS,
      {
        onPublish(conn, p) {
          if (!p.topic.startsWith('$dps/registrations/PUT/')) return;
          // Timed from the call's start, not from the request: however slow the machine was up to here, the
          // assignment lands inside the deadline and the deadline inside the (held) goodbye.
          const wait = Math.max(0, started + TIMEOUT_MS - ANSWER_BEFORE_DEADLINE_MS - Date.now());
          const answer = (): void =>
            conn.publish(`$dps/registrations/res/200/?$rid=${ridOf(p.topic)}`, assignedBody('dev-1', HUB));
          setTimeout(answer, wait);
        },
        onDisconnect: () => {
          disconnects++;
          return false;
        },
      },
      { [HUB]: { a: ['127.77.250.9'] } },
    );
  });
  after(() => peer.close());

  it(`DPS_TIMEOUT at "verifying hub", and no socket or timer of the call is open once it rejected (${ITERATIONS} times)`, async () => {
    for (let i = 0; i < ITERATIONS; i++) {
      const guard = guardProcess();
      const baseline = await baselineHandles();
      const before = disconnects;
      started = Date.now();
      let err: unknown;
      let openAtRejection: string[] = [];
      try {
        err = await provisionDevice({
          provisioningHost: DPS,
          idScope: '0ne00000001',
          registrationId: 'dev-1',
          auth: { symmetricKey: Buffer.alloc(32, 1).toString('base64') },
          network: { expectedCidrs: ['127.77.0.0/16'], dnsServers: [peer.dns.endpoint] },
          tls: { ca: peer.caPem },
          port: peer.port,
          timeoutMs: TIMEOUT_MS,
        }).then(
          () => assert.fail('resolved'),
          (e: unknown) => e,
        );
        // Taken before the peer's side is dropped (the peer never closes): its held sockets are in this process too,
        // one TCPSocketWrap each, and are not the call's. After one turn of the event loop: a callback already queued
        // (an Immediate) is no socket or timer.
        await new Promise((r) => setImmediate(r));
        const peerSide = peer.live().map(() => 'TCPSocketWrap');
        openAtRejection = leftOpen([...baseline, ...peerSide], activeHandles());
        await flushRejections(100);
      } finally {
        guard.dispose();
      }
      assert.ok(err instanceof ProvisioningError, String(err));
      assert.equal(err.code, 'DPS_TIMEOUT', err.message);
      assert.equal(err.step, 'verifying hub', 'the deadline passed after the assignment');
      assert.equal(disconnects, before + 1, 'the device had sent DISCONNECT');
      assert.deepEqual(guard.escaped, []);
      assert.deepEqual(openAtRejection, [], `iteration ${i}: open when provisionDevice rejected`);
      peer.dropAll();
      assert.deepEqual(await settleLeftOpen(baseline, 2500), []);
    }
  });
});
