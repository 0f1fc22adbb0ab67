import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { inspectTls, probeTls } from '../../src/connection/probe';
import type { ConnectTarget } from '../../src/connection/types';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

const run = promisify(execFile);

/** Runs fixtures/probe-child.ts against `target` with node flags `flags` and `env` added; returns its JSON line. */
async function probeInChild(
  target: ConnectTarget,
  flags: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ defaultMax: string; plain: string; ours: string }> {
  const child = path.join(__dirname, 'fixtures', 'probe-child.ts');
  const { stdout } = await run(process.execPath, [...flags, '--import', 'tsx', child], {
    env: { ...process.env, ...env, DPL_PROBE_TARGET: JSON.stringify(target) },
    timeout: 15000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { defaultMax: string; plain: string; ours: string };
}

describe('connection: process-wide TLS settings cannot break the policy, and are not blamed on the server', () => {
  const pki = testPki();
  let server: TestTlsServer;
  before(async () => {
    server = await startTlsServer('127.10.6.10', pki.good);
  });
  after(() => server.close());

  const target = (): ConnectTarget => ({
    host: HOST,
    addresses: ['127.10.6.10'],
    port: server.port,
    minVersion: 'TLSv1.2',
    ca: pki.root.certPem,
  });

  it('tls.DEFAULT_MAX_VERSION = TLSv1.1 in this process: probeTls and inspectTls still connect, at the policy floor', async () => {
    const saved = tls.DEFAULT_MAX_VERSION;
    tls.DEFAULT_MAX_VERSION = 'TLSv1.1';
    try {
      // A ceiling below the floor would leave no version at all: the floor wins.
      const probed = await probeTls(target(), { timeoutMs: 5000 });
      assert.ok(probed.ok, probed.ok ? '' : probed.failure.finding.message);
      assert.equal(probed.tls.protocol, 'TLSv1.2');
      const strict = await probeTls({ ...target(), minVersion: 'TLSv1.3' }, { timeoutMs: 5000 });
      assert.ok(strict.ok, strict.ok ? '' : strict.failure.finding.message);
      assert.equal(strict.tls.protocol, 'TLSv1.3');
      // With an extra anchor (the dps-check trust store) and without one; their floor is TLS 1.2.
      const withCa = await inspectTls('127.10.6.10', server.port, HOST, {
        ca: testPki().root.certPem,
        timeoutMs: 5000,
      });
      assert.equal(withCa.ok, true, withCa.error);
      assert.equal(withCa.protocol, 'TLSv1.2');
      const plain = await inspectTls('127.10.6.10', server.port, HOST, { timeoutMs: 5000 });
      assert.equal(plain.ok, true, plain.error);
      assert.equal(plain.protocol, 'TLSv1.2');
    } finally {
      tls.DEFAULT_MAX_VERSION = saved;
    }
  });

  it('a deliberate TLS 1.2 ceiling is honoured under a TLSv1.2 policy, and lifting it brings TLS 1.3 back (no stale context)', async () => {
    const saved = tls.DEFAULT_MAX_VERSION;
    try {
      tls.DEFAULT_MAX_VERSION = 'TLSv1.2';
      const capped = await probeTls(target(), { timeoutMs: 5000 });
      assert.ok(capped.ok, capped.ok ? '' : capped.failure.finding.message);
      assert.equal(capped.tls.protocol, 'TLSv1.2');
      tls.DEFAULT_MAX_VERSION = 'TLSv1.3';
      const lifted = await probeTls(target(), { timeoutMs: 5000 });
      assert.ok(lifted.ok, lifted.ok ? '' : lifted.failure.finding.message);
      assert.equal(lifted.tls.protocol, 'TLSv1.3');
    } finally {
      tls.DEFAULT_MAX_VERSION = saved;
    }
  });

  it('node --tls-max-v1.2 under a TLSv1.2 policy (the middlebox workaround): ours stays at TLS 1.2 like plain sockets', async () => {
    const out = await probeInChild(target(), ['--tls-max-v1.2']);
    assert.equal(out.defaultMax, 'TLSv1.2');
    assert.equal(out.plain, 'TLSv1.2');
    assert.equal(out.ours, 'TLSv1.2');
  });

  it('node --tls-max-v1.2 under a TLSv1.3 policy: the process default caps plain sockets at 1.2, ours negotiates TLS 1.3', async () => {
    // (Node has no --tls-max-v1.1 flag; --tls-max-v1.2 with minVersion TLSv1.3 is the same trap: min above the default
    // max.)
    const out = await probeInChild({ ...target(), minVersion: 'TLSv1.3' }, ['--tls-max-v1.2']);
    // Proof that the child's default really was lowered:
    assert.equal(out.defaultMax, 'TLSv1.2');
    assert.equal(out.plain, 'TLSv1.2');
    assert.equal(out.ours, 'TLSv1.3');
  });

  it('an OpenSSL configuration that disables TLS 1.2 and 1.3 gives TLS_LOCAL_PROTOCOLS_DISABLED, not TLS_VERSION_TOO_LOW', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dpl-openssl-'));
    const conf = path.join(dir, 'openssl.cnf');
    // Node reads the nodejs_conf section of OPENSSL_CONF; explicit min/max versions cannot undo "Protocol = -…".
    writeFileSync(
      conf,
      'nodejs_conf = nodejs_init\n[nodejs_init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = sys_default\n[sys_default]\nProtocol = -TLSv1.2, -TLSv1.3\n',
    );
    const out = await probeInChild(target(), [], { OPENSSL_CONF: conf });
    assert.equal(out.plain, 'error ERR_SSL_NO_PROTOCOLS_AVAILABLE');
    assert.equal(out.ours, 'TLS_LOCAL_PROTOCOLS_DISABLED');
  });
});
