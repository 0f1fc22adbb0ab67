import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDnsServer, type DnsServer } from '../../src/lab/dns-server';
import { verifyEndpoint } from '../../src/endpoint';
import { AbortedError } from '../../src/errors';

const HOST = 'mydps.azure-devices-provisioning.net';
const PL = 'mydps.privatelink.azure-devices-provisioning.net';
const NETWORK = { expectedCidrs: ['10.1.0.0/16'] };
const NO_HOSTS = { hostsFile: '/nonexistent/hosts' };

describe('verifyEndpoint: resolvers, timeouts and the hosts file', () => {
  let good: DnsServer;
  let tmp: string;
  before(async () => {
    good = await startDnsServer({ zone: { [HOST]: { cname: PL }, [PL]: { a: ['10.1.2.4'] } } });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dpl-endpoint-'));
  });
  after(async () => {
    await good.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('sends exactly one A and one AAAA query to each server (one round trip)', async () => {
    const before = good.queryCount();
    await verifyEndpoint(HOST, { ...NETWORK, dnsServers: [good.endpoint] }, NO_HOSTS);
    assert.equal(good.queryCount() - before, 2);
  });

  it('cuts a server that never answers at dnsTimeoutMs and reports DNS_TIMEOUT', async () => {
    const silent = await startDnsServer({ behaviour: 'drop' });
    try {
      const started = Date.now();
      const report = await verifyEndpoint(
        HOST,
        { ...NETWORK, dnsServers: [silent.endpoint], dnsTimeoutMs: 300 },
        NO_HOSTS,
      );
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 290 && elapsed < 1000, `took ${elapsed} ms for a 300 ms timeout`);
      assert.equal(report.verdict, 'unresolved');
      assert.equal(report.trace[0]?.error, 'timeout');
      assert.deepEqual(
        report.findings.map((f) => f.code),
        ['DNS_TIMEOUT'],
      );
      assert.match(
        report.findings[0]?.message ?? '',
        new RegExp(`${silent.endpoint.replace(/[.[\]]/g, '\\$&')}.*300 ms`),
      );
      // one retransmission of each query at half the timeout, no more
      assert.equal(silent.queryCount(), 4);
    } finally {
      await silent.close();
    }
  });

  it('rejects with AbortedError when the signal fires mid-query, without waiting for the timeout', async () => {
    const silent = await startDnsServer({ behaviour: 'drop' });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const started = Date.now();
      await assert.rejects(
        verifyEndpoint(
          HOST,
          { ...NETWORK, dnsServers: [silent.endpoint], dnsTimeoutMs: 5000 },
          { ...NO_HOSTS, signal: controller.signal },
        ),
        (err: unknown) => err instanceof AbortedError && err.code === 'ERR_ABORTED',
      );
      assert.ok(Date.now() - started < 1000);
    } finally {
      await silent.close();
    }
  });

  it('rejects at once when the signal is already aborted, sending nothing', async () => {
    const before = good.queryCount();
    await assert.rejects(
      verifyEndpoint(HOST, { ...NETWORK, dnsServers: [good.endpoint] }, { signal: AbortSignal.abort() }),
      AbortedError,
    );
    assert.equal(good.queryCount(), before);
  });

  it('queries an IPv6 DNS server on [::1] and returns AAAA records', async () => {
    const v6 = await startDnsServer({
      address: '::1',
      zone: { [HOST]: { cname: PL }, [PL]: { a: ['10.1.2.4'], aaaa: ['fd00:1::4'] } },
    });
    try {
      const report = await verifyEndpoint(
        HOST,
        { expectedCidrs: ['10.1.0.0/16', 'fd00:1::/64'], dnsServers: [v6.endpoint] },
        NO_HOSTS,
      );
      assert.equal(report.trace[0]?.resolver, v6.endpoint);
      assert.deepEqual(
        report.addresses.map((a) => [a.address, a.family, a.addressClass]),
        [
          ['10.1.2.4', 4, 'private'],
          ['fd00:1::4', 6, 'unique-local'],
        ],
      );
      assert.equal(report.verdict, 'private-in-vnet');
    } finally {
      await v6.close();
    }
  });

  it('asks every server, uses the first one, and downgrades a second server going public to warnings', async () => {
    const wrong = await startDnsServer({
      zone: { [HOST]: { cname: PL }, [PL]: { cname: 'x.cloudapp.net' }, 'x.cloudapp.net': { a: ['20.61.4.5'] } },
    });
    try {
      const report = await verifyEndpoint(HOST, { ...NETWORK, dnsServers: [good.endpoint, wrong.endpoint] }, NO_HOSTS);
      assert.equal(report.verdict, 'private-in-vnet');
      assert.deepEqual(
        report.addresses.map((a) => a.address),
        ['10.1.2.4'],
      );
      assert.deepEqual(
        report.trace.map((t) => t.resolver),
        [good.endpoint, wrong.endpoint],
      );
      assert.deepEqual(report.findings.map((f) => [f.code, f.severity]).sort(), [
        ['DNS_PRIVATELINK_NOT_PRIVATE', 'warning'],
        ['DNS_RESOLVERS_DISAGREE', 'warning'],
      ]);
    } finally {
      await wrong.close();
    }
  });

  it('reports a hosts-file entry that overrides the DNS servers (what getaddrinfo and the SDK would use)', async () => {
    const hostsFile = path.join(tmp, 'hosts-override');
    await writeFile(
      hostsFile,
      `127.0.0.1 localhost\n# pinned by hand during the outage\n10.1.9.9\t${HOST.toUpperCase()} mydps # manual\n`,
    );
    const report = await verifyEndpoint(HOST, { ...NETWORK, dnsServers: [good.endpoint] }, { hostsFile });
    assert.deepEqual(
      report.addresses.map((a) => a.address),
      ['10.1.2.4'],
      'addresses stay the primary DNS answer',
    );
    const hostsTrace = report.trace.find((t) => t.resolver === 'hosts-file');
    assert.deepEqual(
      hostsTrace?.addresses.map((a) => a.address),
      ['10.1.9.9'],
    );
    assert.equal(hostsTrace?.fromHostsFile, true);
    const finding = report.findings.find((f) => f.code === 'DNS_HOSTS_FILE_OVERRIDE');
    assert.ok(finding, 'DNS_HOSTS_FILE_OVERRIDE reported');
    assert.match(finding.message, /10\.1\.9\.9/);
    assert.match(finding.message, /10\.1\.2\.4/);
    assert.ok(finding.remediation.includes(hostsFile));
  });

  it('marks a system-resolver answer that comes from the hosts file (systemLookup seam)', async () => {
    const hostsFile = path.join(tmp, 'hosts-system');
    await writeFile(hostsFile, `10.1.7.7 ${HOST}\n`);
    const asked: string[] = [];
    const report = await verifyEndpoint(HOST, NETWORK, {
      hostsFile,
      systemLookup: async (h) => {
        asked.push(h);
        return [{ address: '10.1.7.7', family: 4 }];
      },
    });
    assert.deepEqual(asked, [HOST]);
    assert.equal(report.trace[0]?.resolver, 'system');
    assert.equal(report.trace[0]?.fromHostsFile, true);
    assert.equal(report.verdict, 'private-in-vnet');
    assert.deepEqual(
      report.findings.map((f) => f.code),
      ['DNS_HOSTS_FILE_OVERRIDE'],
    );
  });

  it('a system answer that is not in the hosts file is from DNS, and a public one is DNS_PUBLIC_ADDRESS', async () => {
    const report = await verifyEndpoint(HOST, NETWORK, {
      ...NO_HOSTS,
      systemLookup: async () => [{ address: '20.61.4.5', family: 4 }],
    });
    assert.equal(report.trace[0]?.fromHostsFile, false);
    assert.equal(report.verdict, 'public');
    assert.deepEqual(
      report.findings.map((f) => f.code),
      ['DNS_PUBLIC_ADDRESS'],
    );
  });

  it('writes each address one way (RFC 5952, IPv4-mapped as a dotted quad) and classifies it', async () => {
    const report = await verifyEndpoint(
      HOST,
      { expectedCidrs: ['10.1.0.0/16', 'fd00:1::/64'] },
      {
        ...NO_HOSTS,
        systemLookup: async () => [
          { address: 'FD00:0001:0000:0000:0000:0000:0000:0004', family: 6 },
          { address: '::ffff:10.1.2.3', family: 6 },
          { address: 'fe80::1%eth0', family: 6 },
        ],
      },
    );
    assert.deepEqual(
      report.addresses.map((a) => [a.address, a.addressClass, a.inExpectedRange]),
      [
        ['fd00:1::4', 'unique-local', true],
        ['::ffff:10.1.2.3', 'private', true],
        ['fe80::1%eth0', 'link-local', false],
      ],
    );
    assert.equal(report.verdict, 'mixed');
  });

  it('turns system resolver failures into findings, never exceptions', async () => {
    const enotfound = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    const r1 = await verifyEndpoint(HOST, NETWORK, {
      ...NO_HOSTS,
      systemLookup: async () => Promise.reject(enotfound),
    });
    assert.deepEqual(
      r1.findings.map((f) => f.code),
      ['DNS_NXDOMAIN'],
    );
    const r2 = await verifyEndpoint(
      HOST,
      { ...NETWORK, dnsTimeoutMs: 100 },
      { ...NO_HOSTS, systemLookup: () => new Promise(() => {}) },
    );
    assert.deepEqual(
      r2.findings.map((f) => f.code),
      ['DNS_TIMEOUT'],
    );
    const r3 = await verifyEndpoint(HOST, NETWORK, {
      ...NO_HOSTS,
      systemLookup: async () => [{ address: 'garbage', family: 4 }],
    });
    assert.deepEqual(
      r3.findings.map((f) => f.code),
      ['DNS_QUERY_FAILED'],
    );
    assert.equal(r3.verdict, 'unresolved');
  });

  it('an IP literal is ENDPOINT_IS_IP_ADDRESS and is not resolved', async () => {
    let called = false;
    const report = await verifyEndpoint('10.1.2.4', NETWORK, { systemLookup: async () => ((called = true), []) });
    assert.equal(called, false);
    assert.equal(report.verdict, 'private-in-vnet');
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.severity]),
      [['ENDPOINT_IS_IP_ADDRESS', 'error']],
    );
    assert.match(report.findings[0]?.message ?? '', /10\.1\.2\.4/);
    const v6 = await verifyEndpoint('[fd00:1::4]', NETWORK, NO_HOSTS);
    assert.equal(v6.host, 'fd00:1::4');
    assert.equal(v6.verdict, 'private-outside-vnet');
  });

  it('a privatelink name as host is allowed, with a warning that the certificate may not cover it', async () => {
    const report = await verifyEndpoint(PL, { ...NETWORK, dnsServers: [good.endpoint] }, NO_HOSTS);
    assert.equal(report.verdict, 'private-in-vnet');
    assert.equal(report.role, 'dps');
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.severity]),
      [['ENDPOINT_PRIVATELINK_NAME', 'warning']],
    );
    assert.match(report.findings[0]?.message ?? '', /mydps\.azure-devices-provisioning\.net/);
  });
});
