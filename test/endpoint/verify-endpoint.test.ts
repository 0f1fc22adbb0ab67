import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer, type DnsZone } from '../../src/lab/dns-server';
import { verifyEndpoint, type EndpointReport, type Verdict } from '../../src/endpoint';

// Answers may name 10.x or public addresses: verifyEndpoint only resolves, it never connects.
const ZONE: DnsZone = {
  // private chain, the way Azure DNS answers inside a linked VNET
  'priv.azure-devices-provisioning.net': { cname: 'priv.privatelink.azure-devices-provisioning.net', ttl: 300 },
  'priv.privatelink.azure-devices-provisioning.net': { a: ['10.1.2.4'], ttl: 10 },
  // public chain: privatelink CNAME, then the public answer (zone not linked / forwarder wrong)
  'pub.azure-devices-provisioning.net': { cname: 'pub.privatelink.azure-devices-provisioning.net' },
  'pub.privatelink.azure-devices-provisioning.net': { cname: 'dps-prod-weu-01.cloudapp.net' },
  'dps-prod-weu-01.cloudapp.net': { a: ['20.61.4.5'] },
  // no private endpoint at all: straight to the public address
  'nopl.azure-devices-provisioning.net': { cname: 'dps-prod-weu-02.cloudapp.net' },
  'dps-prod-weu-02.cloudapp.net': { a: ['20.61.4.6'] },
  // private endpoint pending/rejected: the privatelink name does not exist in the private zone
  'pending.azure-devices-provisioning.net': { cname: 'pending.privatelink.azure-devices-provisioning.net' },
  // private, but another VNET
  'other.azure-devices-provisioning.net': { cname: 'other.privatelink.azure-devices-provisioning.net' },
  'other.privatelink.azure-devices-provisioning.net': { a: ['10.9.0.4'] },
  // one address inside, one outside
  'mixed.azure-devices-provisioning.net': { cname: 'mixed.privatelink.azure-devices-provisioning.net' },
  'mixed.privatelink.azure-devices-provisioning.net': { a: ['10.1.2.5', '20.61.4.7'] },
  'broken.azure-devices-provisioning.net': { behaviour: 'servfail' },
  // the lab's stand-in for the public endpoint: a loopback address outside the VNET, reached the public way
  'lab.azure-devices-provisioning.net': { cname: 'lab.privatelink.azure-devices-provisioning.net' },
  'lab.privatelink.azure-devices-provisioning.net': { cname: 'lab-prod.westeurope.cloudapp.azure.com' },
  'lab-prod.westeurope.cloudapp.azure.com': { a: ['127.200.0.1'] },
  // IPv6 private endpoint address
  'v6.azure-devices-provisioning.net': { cname: 'v6.privatelink.azure-devices-provisioning.net' },
  'v6.privatelink.azure-devices-provisioning.net': { a: ['10.1.2.6'], aaaa: ['fd00:1::6'] },
  // Government and China clouds
  'gov.azure-devices-provisioning.us': { cname: 'gov.privatelink.azure-devices-provisioning.us' },
  'gov.privatelink.azure-devices-provisioning.us': { a: ['10.1.3.4'] },
  'cn.azure-devices-provisioning.cn': { cname: 'cn.privatelink.azure-devices-provisioning.cn' },
  'cn.privatelink.azure-devices-provisioning.cn': { cname: 'dps-chinaeast2.chinacloudapp.cn' },
  'dps-chinaeast2.chinacloudapp.cn': { a: ['40.73.1.2'] },
  'myhub.azure-devices.net': { cname: 'myhub.privatelink.azure-devices.net' },
  'myhub.privatelink.azure-devices.net': { a: ['10.1.2.9'] },
  'global.azure-devices-provisioning.net': { cname: 'dps-global.cloudapp.net' },
  'dps-global.cloudapp.net': { a: ['20.61.9.9'] },
};

const CIDRS = ['10.1.0.0/16', 'fd00:1::/64'];

interface Case {
  name: string;
  host: string;
  verdict: Verdict;
  codes: string[];
  addresses?: string[];
  chain?: string[];
  cloud?: EndpointReport['cloud'];
  role?: EndpointReport['role'];
}

const CASES: Case[] = [
  {
    name: 'a private chain inside the VNET is private-in-vnet with no findings',
    host: 'priv.azure-devices-provisioning.net',
    verdict: 'private-in-vnet',
    codes: [],
    addresses: ['10.1.2.4'],
    chain: ['priv.azure-devices-provisioning.net', 'priv.privatelink.azure-devices-provisioning.net'],
    cloud: 'public',
    role: 'dps',
  },
  {
    name: 'a privatelink CNAME ending in a public address is DNS_PRIVATELINK_NOT_PRIVATE',
    host: 'pub.azure-devices-provisioning.net',
    verdict: 'public',
    codes: ['DNS_PRIVATELINK_NOT_PRIVATE'],
    addresses: ['20.61.4.5'],
    chain: [
      'pub.azure-devices-provisioning.net',
      'pub.privatelink.azure-devices-provisioning.net',
      'dps-prod-weu-01.cloudapp.net',
    ],
  },
  {
    name: 'a public answer without a privatelink CNAME is DNS_PUBLIC_ADDRESS and DNS_NO_PRIVATELINK_CNAME',
    host: 'nopl.azure-devices-provisioning.net',
    verdict: 'public',
    codes: ['DNS_PUBLIC_ADDRESS', 'DNS_NO_PRIVATELINK_CNAME'],
  },
  {
    name: 'a privatelink CNAME whose target is NXDOMAIN is DNS_PRIVATELINK_RECORD_MISSING',
    host: 'pending.azure-devices-provisioning.net',
    verdict: 'unresolved',
    codes: ['DNS_PRIVATELINK_RECORD_MISSING'],
    chain: ['pending.azure-devices-provisioning.net', 'pending.privatelink.azure-devices-provisioning.net'],
  },
  {
    name: 'a private address outside the expected ranges is DNS_OUTSIDE_VNET',
    host: 'other.azure-devices-provisioning.net',
    verdict: 'private-outside-vnet',
    codes: ['DNS_OUTSIDE_VNET'],
  },
  {
    name: 'one address inside and one outside is mixed',
    host: 'mixed.azure-devices-provisioning.net',
    verdict: 'mixed',
    codes: ['DNS_MIXED_ANSWERS'],
    addresses: ['10.1.2.5', '20.61.4.7'],
  },
  {
    name: 'a privatelink name CNAMEd onward out of the zone is the public path, whatever the address class',
    host: 'lab.azure-devices-provisioning.net',
    verdict: 'private-outside-vnet',
    codes: ['DNS_PRIVATELINK_NOT_PRIVATE'],
    addresses: ['127.200.0.1'],
  },
  {
    name: 'an unknown name is DNS_NXDOMAIN',
    host: 'nope.azure-devices-provisioning.net',
    verdict: 'unresolved',
    codes: ['DNS_NXDOMAIN'],
  },
  {
    name: 'a failing resolver is DNS_SERVFAIL',
    host: 'broken.azure-devices-provisioning.net',
    verdict: 'unresolved',
    codes: ['DNS_SERVFAIL'],
  },
  {
    name: 'AAAA answers are returned after A, classified as unique-local',
    host: 'v6.azure-devices-provisioning.net',
    verdict: 'private-in-vnet',
    codes: [],
    addresses: ['10.1.2.6', 'fd00:1::6'],
  },
  {
    name: 'a Government (.us) DPS name is recognised and verified',
    host: 'gov.azure-devices-provisioning.us',
    verdict: 'private-in-vnet',
    codes: [],
    cloud: 'government',
    role: 'dps',
  },
  {
    name: 'a China (.cn) DPS name going public is DNS_PRIVATELINK_NOT_PRIVATE',
    host: 'cn.azure-devices-provisioning.cn',
    verdict: 'public',
    codes: ['DNS_PRIVATELINK_NOT_PRIVATE'],
    cloud: 'china',
  },
  {
    name: 'an IoT hub name is recognised as a hub',
    host: 'myhub.azure-devices.net',
    verdict: 'private-in-vnet',
    codes: [],
    role: 'hub',
  },
  {
    name: 'the global endpoint is ENDPOINT_GLOBAL_WITH_PRIVATE_LINK',
    host: 'global.azure-devices-provisioning.net',
    verdict: 'public',
    codes: ['ENDPOINT_GLOBAL_WITH_PRIVATE_LINK', 'DNS_PUBLIC_ADDRESS', 'DNS_NO_PRIVATELINK_CNAME'],
  },
];

describe('verifyEndpoint against a loopback DNS server', () => {
  let lab: DnsServer;
  before(async () => {
    lab = await startDnsServer({ address: '127.0.0.1', zone: ZONE });
  });
  after(() => lab.close());

  for (const c of CASES) {
    it(c.name, async () => {
      const report = await verifyEndpoint(
        c.host,
        { expectedCidrs: CIDRS, dnsServers: [lab.endpoint] },
        { hostsFile: '/nonexistent/hosts' },
      );
      assert.equal(report.verdict, c.verdict);
      assert.deepEqual(report.findings.map((f) => f.code).sort(), [...c.codes].sort());
      if (c.addresses)
        assert.deepEqual(
          report.addresses.map((a) => a.address),
          c.addresses,
        );
      if (c.chain) assert.deepEqual(report.trace[0]?.chain, c.chain);
      if (c.cloud) assert.equal(report.cloud, c.cloud);
      if (c.role) assert.equal(report.role, c.role);
      assert.equal(report.trace[0]?.resolver, lab.endpoint);
      for (const f of report.findings) {
        assert.ok(f.message.includes(c.host), `message names the host: ${f.message}`);
        assert.ok(f.remediation.length > 40, `remediation is specific: ${f.remediation}`);
      }
    });
  }

  it('reports the TTL of every address and the NOERROR rcode', async () => {
    const report = await verifyEndpoint(
      'priv.azure-devices-provisioning.net',
      { expectedCidrs: CIDRS, dnsServers: [lab.endpoint] },
      { hostsFile: '/nonexistent/hosts' },
    );
    assert.equal(report.addresses[0]?.ttl, 10);
    assert.equal(report.addresses[0]?.addressClass, 'private');
    assert.equal(report.trace[0]?.rcode, 'NOERROR');
  });
});

describe('verifyEndpoint: the policy changes what may be used, not how bad a finding is', () => {
  let lab: DnsServer;
  before(async () => {
    lab = await startDnsServer({ zone: ZONE });
  });
  after(() => lab.close());

  const table: [string, 'enforce' | 'warn' | 'off', string, 'error' | 'warning'][] = [
    ['pub.azure-devices-provisioning.net', 'enforce', 'DNS_PRIVATELINK_NOT_PRIVATE', 'error'],
    ['pub.azure-devices-provisioning.net', 'warn', 'DNS_PRIVATELINK_NOT_PRIVATE', 'error'],
    ['other.azure-devices-provisioning.net', 'off', 'DNS_OUTSIDE_VNET', 'error'],
    ['nopl.azure-devices-provisioning.net', 'warn', 'DNS_PUBLIC_ADDRESS', 'error'],
    ['mixed.azure-devices-provisioning.net', 'warn', 'DNS_MIXED_ANSWERS', 'warning'],
    ['nope.azure-devices-provisioning.net', 'warn', 'DNS_NXDOMAIN', 'error'],
  ];
  for (const [host, policy, code, severity] of table) {
    it(`${code} is ${severity} under '${policy}'`, async () => {
      const report = await verifyEndpoint(
        host,
        { expectedCidrs: CIDRS, dnsServers: [lab.endpoint], policy },
        { hostsFile: '/nonexistent/hosts' },
      );
      assert.equal(report.findings.find((f) => f.code === code)?.severity, severity);
      assert.equal(report.policy, policy);
    });
  }
});
