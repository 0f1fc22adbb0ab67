import assert from 'node:assert/strict';
import net from 'node:net';
import {
  AbortedError,
  createHubClient,
  HubConnectionError,
  InvalidOptionError,
  openHubClient,
  provisionDevice,
} from '../../src/index';
import type { LabDevice, LabHandle, ProvisioningResult } from '../../src/index';
import { activeHandles, optionsFor, settleHandles, startTestLab } from '../support/provision-lab';

describe('handoff: openHubClient has a deadline and a signal, and never calls silence "unauthorized"', function () {
  let lab: LabHandle;
  let device: LabDevice;
  let result: ProvisioningResult;
  // A peer on the hub's own (loopback) address that accepts TCP and then says nothing: no TLS, no MQTT.
  let silent: net.Server;
  let silentPort: number;
  const held = new Set<net.Socket>();
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('silent-hub-device', 'symmetric-key');
    result = await provisionDevice(optionsFor(lab, device));
    silent = net.createServer((s) => {
      held.add(s);
      s.on('close', () => held.delete(s));
      s.on('error', () => undefined);
      // Read (and drop) what the client sends, so its close is seen and this side closes too.
      s.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, result.hub.addresses[0].address, resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => silent.close(r));
    await lab.close();
  });

  const silentClient = (transport: 'mqtt' | 'mqtt-ws' = 'mqtt') =>
    createHubClient(result, device.auth, { tls: { ca: lab.caPem }, transport, port: silentPort, wsPort: silentPort });

  for (const transport of ['mqtt', 'mqtt-ws'] as const) {
    it(`${transport}: a hub that accepts TCP but never completes TLS → HUB_TIMEOUT (no TLS handshake) within timeoutMs, not HUB_UNAUTHORIZED`, async () => {
      // After one turn: mocha arms its own test timer only once the test function has returned.
      await new Promise((r) => setImmediate(r));
      const baseline = activeHandles();
      const started = Date.now();
      await assert.rejects(openHubClient(silentClient(transport), { timeoutMs: 400 }), (e: unknown) => {
        assert.ok(e instanceof HubConnectionError, String(e));
        assert.equal(e.code, 'HUB_TIMEOUT');
        assert.equal(e.findings[0].evidence.tlsCompleted, false);
        assert.match(e.message, /No TLS handshake/);
        assert.doesNotMatch(e.message, /rejected device/);
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took < 2000, `stopped promptly (${took} ms)`);
      const after = await settleHandles(baseline);
      assert.deepEqual([...after].sort(), [...baseline].sort(), 'no socket or timer left behind');
    });
  }

  it('the signal aborts the open at once with AbortedError', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(openHubClient(silentClient(), { signal: controller.signal, timeoutMs: 10_000 }), AbortedError);
    assert.ok(Date.now() - started < 1500);
  });

  it('an already-aborted signal rejects before any socket', async () => {
    const before = held.size;
    await assert.rejects(openHubClient(silentClient(), { signal: AbortSignal.abort() }), AbortedError);
    assert.equal(held.size, before);
  });

  it('bad options are InvalidOptionError naming them', async () => {
    await assert.rejects(
      openHubClient(silentClient(), { timeoutMs: 2 ** 31 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'options.timeoutMs',
    );
    await assert.rejects(
      openHubClient(silentClient(), { timeoutMs: 0 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'options.timeoutMs',
    );
    await assert.rejects(
      openHubClient(silentClient(), { signal: 'x' as never }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'options.signal',
    );
  });

  it('a healthy hub still opens within the default deadline', async () => {
    const client = createHubClient(result, device.auth, {
      tls: { ca: lab.caPem },
      port: lab.hub.port,
      wsPort: lab.hub.wsPort,
    });
    await openHubClient(client);
    await client.close();
  });
});
