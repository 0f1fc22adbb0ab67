import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { issueCertificate, rsaKey } from '../../src/lab/certs';
import { probeTls } from '../../src/connection/probe';
import type { ConnectTarget } from '../../src/connection/types';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

const run = promisify(execFile);

/**
 * `ca` is extra: it adds to the roots Node trusts and never replaces them. Node's bundled roots cannot sign a test
 * server, so a child process stands in for them with a root we own, the two ways Node lets a process change its own
 * default store: --use-openssl-ca with SSL_CERT_FILE (the OpenSSL store replaces the bundled one) and
 * NODE_EXTRA_CA_CERTS.
 */
describe("connection: tls.ca adds to Node's roots, it does not replace them", () => {
  const pki = testPki();
  // "system root": trusted by the process itself, not passed as ca.
  const systemSigned = issueCertificate(
    { commonName: HOST, dnsNames: [HOST], usage: 'server', issuer: pki.other },
    rsaKey(2),
  );
  let bySystemRoot: TestTlsServer;
  let byExtraCa: TestTlsServer;
  let systemRootFile = '';
  before(async () => {
    bySystemRoot = await startTlsServer('127.10.7.10', systemSigned);
    byExtraCa = await startTlsServer('127.10.7.11', pki.good);
    const dir = mkdtempSync(path.join(tmpdir(), 'dpl-roots-'));
    systemRootFile = path.join(dir, 'system-root.pem');
    writeFileSync(systemRootFile, pki.other.certPem);
  });
  after(async () => {
    await bySystemRoot.close();
    await byExtraCa.close();
  });

  const target = (s: TestTlsServer): ConnectTarget => ({
    host: HOST,
    addresses: [s.address],
    port: s.port,
    minVersion: 'TLSv1.2',
    ca: pki.root.certPem,
  });

  const probeInChild = async (
    t: ConnectTarget,
    flags: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<{ plain: string; ours: string }> => {
    const child = path.join(__dirname, 'fixtures', 'probe-child.ts');
    const { stdout } = await run(process.execPath, [...flags, '--import', 'tsx', child], {
      env: { ...process.env, ...env, DPL_PROBE_TARGET: JSON.stringify(t) },
      timeout: 15000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { plain: string; ours: string };
  };

  for (const [how, flags, env] of [
    ['--use-openssl-ca with SSL_CERT_FILE', ['--use-openssl-ca'], () => ({ SSL_CERT_FILE: systemRootFile })],
    ['NODE_EXTRA_CA_CERTS', [], () => ({ NODE_EXTRA_CA_CERTS: systemRootFile })],
  ] as const) {
    it(`a root the process trusts (${how}) still verifies a server when ca names another root`, async () => {
      const viaSystem = await probeInChild(target(bySystemRoot), [...flags], env());
      // Node's own `ca` option replaces the store (the plain socket fails); ours keeps it.
      assert.match(viaSystem.plain, /^error (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT)/);
      assert.equal(viaSystem.ours, 'TLSv1.3');
      const viaCa = await probeInChild(target(byExtraCa), [...flags], env());
      assert.equal(viaCa.ours, 'TLSv1.3');
    });
  }

  it('the extra anchor really is extra: without it the lab-CA server is TLS_UNTRUSTED_CHAIN, with it TLS 1.3', async () => {
    const { ca: _ca, ...noCa } = target(byExtraCa);
    const without = await probeTls(noCa, { timeoutMs: 5000 });
    assert.ok(!without.ok);
    assert.equal(without.failure.finding.code, 'TLS_UNTRUSTED_CHAIN');
    const withCa = await probeTls(target(byExtraCa), { timeoutMs: 5000 });
    assert.ok(withCa.ok, withCa.ok ? '' : withCa.failure.finding.message);
    // A server under a root that is neither Node's nor the anchor stays untrusted.
    const other = await probeTls(target(bySystemRoot), { timeoutMs: 5000 });
    assert.ok(!other.ok);
    assert.equal(other.failure.finding.code, 'TLS_UNTRUSTED_CHAIN');
  });
});
