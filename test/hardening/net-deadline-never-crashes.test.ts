// Issue 14 item 2: a deadline or signal that has already fired when a step starts must give the caller the typed
// error and nothing else — no unhandled rejection from the step's own promise, which was left to run unobserved.
import assert from 'node:assert/strict';
import { AbortedError, provisionDevice, ProvisioningError } from '../../src/index';
import { Deadline } from '../../src/provision/deadline';
import { within } from '../../src/support/abort';
import { flushRejections, guardProcess, type ProcessGuard } from './net-process-guard';
import { assignedBody, ridOf, startHostilePeer, type HostilePeer } from './net-hostile-peer';
import { baselineHandles, settleLeftOpen } from './net-process-guard';

const DPS = 'hostile-deadline.azure-devices-provisioning.net';
const HUB = 'hostile-deadline-hub.azure-devices.net';
/** Long enough for the connection and the request on a loaded machine; DPS answers 300 ms before it passes. */
const GRACEFUL_TIMEOUT_MS = 3000;

describe('a deadline or signal that already fired never becomes an unhandled rejection (issue 14 item 2)', function () {
  this.timeout(15_000);
  let guard: ProcessGuard;
  beforeEach(() => (guard = guardProcess()));
  afterEach(() => guard.dispose());

  it('Deadline.race on a stopped deadline observes the promise it was given', async () => {
    const d = new Deadline(10_000);
    d.stop({ kind: 'timeout' });
    await assert.rejects(d.race(Promise.reject(new Error('the step failed later'))));
    d.dispose();
    await flushRejections();
    assert.deepEqual(guard.escaped, []);
  });

  it('within() with an aborted signal observes the promise it was given', async () => {
    await assert.rejects(
      within(Promise.reject(new Error('the step failed later')), 1000, AbortSignal.abort()),
      AbortedError,
    );
    await flushRejections();
    assert.deepEqual(guard.escaped, []);
  });

  describe('against a DPS on loopback', () => {
    let peer: HostilePeer;
    let holdDisconnect = false;
    /** When the graceful-disconnect case started its call (0 otherwise: answer after 300 ms). */
    let started = 0;
    before(async () => {
      peer = await startHostilePeer(
        DPS,
        {
          onPublish(conn, p) {
            if (!p.topic.startsWith('$dps/registrations/PUT/')) return;
            // Answers 300 ms before the deadline of the case below, timed from its start rather than from the
            // request (which a loaded machine delays): the deadline then passes while the device says goodbye.
            const wait = started ? Math.max(0, started + GRACEFUL_TIMEOUT_MS - 300 - Date.now()) : 300;
            setTimeout(
              () => conn.publish(`$dps/registrations/res/200/?$rid=${ridOf(p.topic)}`, assignedBody('dev-1', HUB)),
              wait,
            );
          },
          onDisconnect: () => (holdDisconnect ? false : undefined),
        },
        { [HUB]: { a: ['127.77.250.9'] } },
      );
    });
    after(() => peer.close());
    const options = (over: object) => ({
      provisioningHost: DPS,
      idScope: '0ne00000001',
      registrationId: 'dev-1',
      auth: { symmetricKey: Buffer.alloc(32, 1).toString('base64') },
      network: { expectedCidrs: ['127.77.0.0/16'], dnsServers: [peer.dns.endpoint] },
      tls: { ca: peer.caPem },
      port: peer.port,
      ...over,
    });

    for (const [name, signal] of [
      ['AbortSignal.abort()', () => AbortSignal.abort()],
      [
        'an expired AbortSignal.timeout(1)',
        async () => {
          const s = AbortSignal.timeout(1);
          await new Promise((r) => setTimeout(r, 20));
          return s;
        },
      ],
    ] as const) {
      it(`a pre-aborted signal (${name}): AbortedError, no connection, nothing escapes`, async () => {
        const baseline = await baselineHandles();
        const before = peer.connections;
        const err = await provisionDevice(options({ signal: await signal() })).then(
          () => assert.fail('resolved'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof AbortedError, String(err));
        assert.equal(peer.connections, before);
        await flushRejections(100);
        assert.deepEqual(guard.escaped, []);
        assert.deepEqual(await settleLeftOpen(baseline), []);
      });
    }

    it('timeoutMs passing during the graceful disconnect after assignment: DPS_TIMEOUT, nothing escapes', async () => {
      holdDisconnect = true;
      const baseline = await baselineHandles();
      started = Date.now();
      try {
        const err = await provisionDevice(options({ timeoutMs: GRACEFUL_TIMEOUT_MS })).then(
          () => assert.fail('resolved'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof ProvisioningError, String(err));
        assert.equal(err.code, 'DPS_TIMEOUT');
        await flushRejections(300);
        assert.deepEqual(guard.escaped, []);
        peer.dropAll();
        assert.deepEqual(await settleLeftOpen(baseline, 2500), []);
      } finally {
        holdDisconnect = false;
        started = 0;
      }
    });
  });
});
