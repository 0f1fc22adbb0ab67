// dps-check's TLS checks and the device probe are one function: probeTls, whose `inspect` mode reports the chain
// instead of enforcing it. Real TLS peers on loopback.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { inspectTls, probeTls } from '../../src/connection/probe';
import type { ConnectTarget } from '../../src/connection/types';
import { AbortedError, InvalidOptionError } from '../../src/errors';
import { makeCert, pem, rsaKey } from './fixtures';

const HOST = 'one-probe.azure-devices-provisioning.net';

describe('one TLS probe: probeTls verifies as the device does, or inspects for dps-check', () => {
  const rootKey = rsaKey();
  const serverKey = rsaKey();
  const root = makeCert({ cn: 'One Probe Root', key: rootKey, ca: true });
  const leaf = makeCert({ cn: HOST, key: serverKey, sans: [HOST], issuer: { cert: root, key: rootKey } });
  const keyPem = serverKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  let server: tls.Server;
  let silent: net.Server;
  const silentSockets = new Set<net.Socket>();
  let closedBySilent = 0;
  const target = (port: number, extra: Partial<ConnectTarget> = {}): ConnectTarget => ({
    host: HOST,
    addresses: ['127.0.0.1'],
    port,
    minVersion: 'TLSv1.2',
    ...extra,
  });
  const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;

  before(async () => {
    server = tls.createServer({ key: keyPem, cert: pem(leaf) + pem(root) }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // Accepts TCP and never answers the ClientHello.
    silent = net.createServer((s) => {
      silentSockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => closedBySilent++);
      s.resume(); // reads (and drops) the ClientHello, so the client's close is seen
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    for (const s of silentSockets) s.destroy();
    await Promise.all([server, silent].map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it('the same untrusted peer: verify fails it (TLS_UNTRUSTED_CHAIN), inspect reports the chain', async () => {
    const verified = await probeTls(target(portOf(server)), { timeoutMs: 3000 });
    assert.equal(verified.ok, false);
    assert.equal(verified.ok ? undefined : verified.failure.finding.code, 'TLS_UNTRUSTED_CHAIN');
    const inspected = await probeTls(target(portOf(server)), { mode: 'inspect', timeoutMs: 3000 });
    assert.equal(inspected.ok, true);
    assert.equal(inspected.authorized, false);
    assert.equal(inspected.hostnameMatch, true);
    assert.equal(inspected.root, 'One Probe Root');
    assert.equal(inspected.protocol === 'TLSv1.2' || inspected.protocol === 'TLSv1.3', true);
  });

  it('inspect mode trusts the extra anchor; inspectTls is that mode with the TLS 1.2 floor', async () => {
    const withCa = await probeTls(target(portOf(server)), { mode: 'inspect', ca: pem(root), timeoutMs: 3000 });
    assert.equal(withCa.authorized, true);
    const viaWrapper = await inspectTls('127.0.0.1', portOf(server), HOST, { ca: pem(root), timeoutMs: 3000 });
    const { durationMs: _a, ...one } = withCa;
    const { durationMs: _b, ...other } = viaWrapper;
    assert.deepEqual(other, one);
  });

  it('inspect mode keeps the door: a name instead of an address or a proxy is refused before any socket', async () => {
    await assert.rejects(
      probeTls(target(portOf(server), { addresses: [HOST] }), { mode: 'inspect' }),
      (err: InvalidOptionError) => err instanceof InvalidOptionError && /target\.addresses/.test(err.message),
    );
    await assert.rejects(
      probeTls(target(portOf(server), { proxy: { address: '127.0.0.1', port: 1 } }), { mode: 'inspect' }),
      (err: InvalidOptionError) => err instanceof InvalidOptionError && /target\.proxy/.test(err.message),
    );
    // inspectTls never rejects: the same refusal is a failed inspection.
    const r = await inspectTls(HOST, portOf(server), HOST, { timeoutMs: 1000 });
    assert.equal(r.ok, false);
    assert.equal(r.errorCode, 'ERR_INVALID_OPTION');
  });

  it('both modes time out on a silent peer and close the socket; both reject on abort', async () => {
    const before = closedBySilent;
    const inspected = await probeTls(target(portOf(silent)), { mode: 'inspect', timeoutMs: 300 });
    // The silent peer accepted TCP: the timeout is a stalled handshake, not an unreachable port.
    assert.deepEqual([inspected.ok, inspected.errorCode], [false, 'ERR_TLS_HANDSHAKE_STALLED']);
    const verified = await probeTls(target(portOf(silent)), { timeoutMs: 300 });
    assert.equal(verified.ok ? undefined : verified.failure.finding.code, 'TLS_HANDSHAKE_STALLED');
    const aborted = (probe: (signal: AbortSignal) => Promise<unknown>): Promise<void> => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      return assert.rejects(probe(controller.signal), (err: Error) => err instanceof AbortedError);
    };
    await aborted((signal) => probeTls(target(portOf(silent)), { mode: 'inspect', timeoutMs: 5000, signal }));
    await aborted((signal) => probeTls(target(portOf(silent)), { timeoutMs: 5000, signal }));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(closedBySilent - before, 4, `every probe closed its socket (${silentSockets.size} accepted)`);
  });
});
