// "Every failing check says which finding": the whole registry, run against failure after failure (real DNS, TCP and
// TLS peers on loopback, real certificate files), never reports an error without a catalogue finding; and a check
// that tries to is reported as a check bug, not as a silent error.
import assert from 'node:assert/strict';
import net from 'node:net';
import { loadDeviceIdentity } from '../../src/config/identity';
import { loadConfig } from '../../src/config/load';
import { CHECKS } from '../../src/checks/registry';
import { findinglessErrorChain, runChecks } from '../../src/checks/runner';
import type { Check, CheckContext, CheckReport } from '../../src/checks/types';
import { findingCatalogue } from '../../src/index';
import { startDnsServer, type DnsServer } from '../../src/lab/dns-server';
import { makeCert, pem, put, rsaKey, tempDir } from './fixtures';

const HOST = 'fail-dps.azure-devices-provisioning.net';
const DAY = 86_400_000;

describe('every failing check carries a catalogue finding', () => {
  const dir = tempDir('dps-fail-');
  const key = rsaKey();
  const keyFile = put(dir, 'dev.key', key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const otherKeyFile = put(dir, 'other.key', rsaKey().privateKey.export({ type: 'pkcs8', format: 'pem' }));
  let dns: DnsServer;
  let closedPort: number;
  let notTls: net.Server;
  let notTlsPort: number;
  const sockets = new Set<net.Socket>();

  before(async () => {
    dns = await startDnsServer({ address: '127.0.0.1', zone: {} });
    // A port nothing listens on: bind, read the number, close.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    // A TCP peer that answers the TLS ClientHello with garbage: the TLS checks fail on a real socket.
    notTls = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined); // the client resets once it sees the answer is not TLS
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((r) => notTls.listen(0, '127.0.0.1', r));
    notTlsPort = (notTls.address() as net.AddressInfo).port;
  });
  after(async () => {
    await dns.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => notTls.close(() => r()));
  });

  async function runAll(o: {
    zone: Parameters<DnsServer['setZone']>[0];
    certPem: string;
    keyFile?: string;
    port?: number;
  }) {
    dns.setZone(o.zone);
    const certFile = put(dir, `cert-${Math.random().toString(36).slice(2)}.pem`, o.certPem);
    const kf = o.keyFile ?? keyFile;
    const loaded = loadConfig({
      flags: {
        provisioningHost: HOST,
        registrationId: 'dev-other',
        certFile,
        keyFile: kf,
        expectedCidrs: ['127.0.0.0/8'],
        dnsServers: [dns.endpoint],
        port: String(o.port ?? closedPort),
        wsPort: String(o.port ?? closedPort),
      },
    });
    const ctx: CheckContext = {
      loaded,
      config: loaded.config,
      identity: loadDeviceIdentity({ certFile, keyFile: kf }),
      settings: { register: false, compareSystem: false, timeoutMs: 1500, now: () => new Date() },
      state: {},
    };
    return runChecks(CHECKS, ctx);
  }

  const errors = (reports: CheckReport[]): CheckReport[] => reports.filter((r) => r.result === 'error');
  function assertEveryErrorHasAFinding(reports: CheckReport[], expected: string[]): void {
    const failed = errors(reports);
    assert.deepEqual(
      failed.map((r) => r.id),
      expected,
      JSON.stringify(reports.map((r) => [r.id, r.result, r.detail])),
    );
    for (const r of failed) {
      assert.ok(r.findings.length > 0, `${r.id} failed without a finding: ${r.detail}`);
      assert.equal(r.errorChain, undefined, `${r.id} threw or failed without a finding: ${r.errorChain?.join('; ')}`);
      for (const f of r.findings) assert.ok(f.code in findingCatalogue, `${r.id}: ${f.code} is not in the catalogue`);
    }
  }

  const rootKey = rsaKey();
  const interKey = rsaKey();
  const root = makeCert({ cn: 'Fail Root', key: rootKey, ca: true });
  const inter = makeCert({ cn: 'Fail Group CA', key: interKey, ca: true, issuer: { cert: root, key: rootKey } });
  const leaf = makeCert({ cn: 'dev-1', key, issuer: { cert: inter, key: interKey } });
  const expired = makeCert({
    cn: 'dev-1',
    key,
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - 2 * DAY),
  });

  it('NXDOMAIN, an expired certificate with another CN, a wrong key, a misordered chain', async () => {
    const reports = await runAll({ zone: {}, certPem: pem(expired) + pem(root) + pem(inter), keyFile: otherKeyFile });
    assertEveryErrorHasAFinding(reports, [
      'dps-dns',
      'device-cert-validity',
      'device-key-match',
      'device-cert-cn',
      'device-cert-chain',
    ]);
  });

  it('a public answer under enforce (never dialled), and a chain that repeats the leaf', async () => {
    const reports = await runAll({ zone: { [HOST]: { a: ['20.50.1.2'] } }, certPem: pem(leaf) + pem(leaf) });
    assertEveryErrorHasAFinding(reports, ['dps-dns', 'device-cert-cn', 'device-cert-chain']);
  });

  it('a private answer whose ports are closed', async () => {
    const reports = await runAll({ zone: { [HOST]: { a: ['127.0.0.1'] } }, certPem: pem(leaf) + pem(inter) });
    assertEveryErrorHasAFinding(reports, ['dps-tcp-mqtt', 'device-cert-cn']);
  });

  it('a private answer whose port speaks something other than TLS', async () => {
    const reports = await runAll({
      zone: { [HOST]: { a: ['127.0.0.1'] } },
      certPem: pem(leaf) + pem(inter) + pem(root),
      port: notTlsPort,
    });
    assertEveryErrorHasAFinding(reports, ['dps-tls-mqtt', 'device-cert-cn']);
  });

  it('the runner reports a check that fails without a finding as a check bug (so the rule can fail)', async () => {
    const silent: Check = {
      id: 'silent',
      title: 'silent',
      section: 'dns',
      run: () => ({ result: 'error', detail: 'd' }),
    };
    const [r] = await runChecks([silent], emptyCtx());
    assert.equal(r?.result, 'error');
    assert.deepEqual(r?.errorChain, findinglessErrorChain('silent'));
    assert.throws(() => assertEveryErrorHasAFinding(r ? [r] : [], ['silent']), /failed without a finding/);
  });
});

function emptyCtx(): CheckContext {
  const loaded = loadConfig({});
  return {
    loaded,
    config: loaded.config,
    settings: { register: false, compareSystem: false, timeoutMs: 1000, now: () => new Date() },
    state: {},
  };
}
