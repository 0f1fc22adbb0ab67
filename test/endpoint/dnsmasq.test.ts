import assert from 'node:assert/strict';
import { verifyEndpoint } from '../../src/endpoint';
import { hasDnsmasq, startDnsmasq, type Dnsmasq } from './dnsmasq-peer';

// The same verdicts against dnsmasq, an independent DNS implementation, so the client is not only tested against
// the lab server it shares a library with. dnsmasq answers CNAMEs only for names it knows (--host-record).
const D = 'azure-devices-provisioning.net';
const FLAGS = [
  `--local=/${D}/`,
  '--local-ttl=30',
  `--cname=priv.${D},priv.privatelink.${D}`,
  `--host-record=priv.privatelink.${D},10.1.2.4,fd00:1::4`,
  `--cname=pub.${D},pub.privatelink.${D}`,
  `--cname=pub.privatelink.${D},dps-prod-weu-01.cloudapp.net`,
  '--host-record=dps-prod-weu-01.cloudapp.net,20.61.4.5',
  `--cname=pending.${D},pending.privatelink.${D}`,
  `--host-record=other.${D},192.168.40.4`,
];

describe('verifyEndpoint against dnsmasq (independent DNS peer)', function () {
  let dnsmasq: Dnsmasq | undefined;
  before(async function () {
    if (!hasDnsmasq()) {
      console.log('    SKIPPED: dnsmasq is not installed (apt-get install dnsmasq-base; .ci/run does this)');
      this.skip();
    }
    dnsmasq = await startDnsmasq('127.0.0.77', FLAGS);
  });
  after(async () => dnsmasq?.stop());

  const network = (): { expectedCidrs: string[]; dnsServers: string[] } => ({
    expectedCidrs: ['10.1.0.0/16', 'fd00:1::/64'],
    dnsServers: [(dnsmasq as Dnsmasq).endpoint],
  });
  const cases: [string, string, string, string[], string[]][] = [
    ['a private chain (A and AAAA)', `priv.${D}`, 'private-in-vnet', [], ['10.1.2.4', 'fd00:1::4']],
    ['a public chain', `pub.${D}`, 'public', ['DNS_PRIVATELINK_NOT_PRIVATE'], ['20.61.4.5']],
    // dnsmasq answers a local CNAME to a name it has no record for NOERROR with the CNAME alone: exactly what its
    // rebind filter sends, so it reads as filtered. A missing record that answers NXDOMAIN, as Azure DNS does, stays
    // DNS_PRIVATELINK_RECORD_MISSING (rebind-filter.test.ts, through dnsmasq forwarding).
    ['a privatelink name answered NOERROR, no data', `pending.${D}`, 'unresolved', ['DNS_PRIVATE_ANSWER_FILTERED'], []],
    [
      'a private address in another network, no CNAME',
      `other.${D}`,
      'private-outside-vnet',
      ['DNS_NO_PRIVATELINK_CNAME', 'DNS_OUTSIDE_VNET'],
      ['192.168.40.4'],
    ],
    ['an unknown name', `nope.${D}`, 'unresolved', ['DNS_NXDOMAIN'], []],
  ];
  for (const [name, host, verdict, codes, addresses] of cases) {
    it(`${name}: ${verdict} ${codes.join(' ')}`, async () => {
      const report = await verifyEndpoint(host, network(), { hostsFile: '/nonexistent/hosts' });
      assert.equal(report.verdict, verdict);
      assert.deepEqual(report.findings.map((f) => f.code).sort(), [...codes].sort());
      assert.deepEqual(
        report.addresses.map((a) => a.address),
        addresses,
      );
      for (const a of report.addresses) assert.equal(a.ttl, 30);
    });
  }
  it('sees the whole CNAME chain dnsmasq answers', async () => {
    const report = await verifyEndpoint(`pub.${D}`, network(), { hostsFile: '/nonexistent/hosts' });
    assert.deepEqual(report.trace[0]?.chain, [`pub.${D}`, `pub.privatelink.${D}`, 'dps-prod-weu-01.cloudapp.net']);
  });
});
