// A resolver with DNS-rebinding protection (dnsmasq --stop-dns-rebind, OpenWrt's default) drops private addresses
// from forwarded answers and says NOERROR with nothing: that is DNS_PRIVATE_ANSWER_FILTERED, not a missing record.
// A missing record in a linked zone is NXDOMAIN and stays DNS_PRIVATELINK_RECORD_MISSING. Real dnsmasq, forwarding
// to a loopback DNS server that answers like Azure DNS inside the VNET.
import assert from 'node:assert/strict';
import { verifyEndpoint } from '../../src/endpoint';
import { startDnsServer, type DnsServer } from '../../src/lab/dns-server';
import { hasDnsmasq, startDnsmasq, type Dnsmasq } from './dnsmasq-peer';

const D = 'azure-devices-provisioning.net';
const NO_HOSTS = { hostsFile: '/nonexistent/hosts' };
const VNET = ['10.1.0.0/16', '127.10.0.0/16'];

describe('a resolver that filters private answers (dnsmasq --stop-dns-rebind)', function () {
  let upstream: DnsServer;
  let filtering: Dnsmasq | undefined;
  let allowing: Dnsmasq | undefined;
  before(async function () {
    if (!hasDnsmasq()) {
      console.log('    SKIPPED: dnsmasq is not installed (apt-get install dnsmasq-base; .ci/run does this)');
      this.skip();
    }
    upstream = await startDnsServer({
      address: '127.0.0.1',
      zone: {
        [`rb.${D}`]: { cname: `rb.privatelink.${D}` },
        [`rb.privatelink.${D}`]: { a: ['10.1.2.4'] },
        // The lab's VNET is loopback: dnsmasq filters 127.0.0.0/8 too (unless --rebind-localhost-ok).
        [`lo.${D}`]: { cname: `lo.privatelink.${D}` },
        [`lo.privatelink.${D}`]: { a: ['127.10.0.5'] },
        [`gone.${D}`]: { cname: `gone.privatelink.${D}` },
      },
    });
    const forward = `--server=/${D}/${upstream.address}#${upstream.port}`;
    filtering = await startDnsmasq('127.0.0.78', ['--stop-dns-rebind', forward]);
    // The fix the finding advises: allow private answers for the Azure zone.
    allowing = await startDnsmasq('127.0.0.79', ['--stop-dns-rebind', `--rebind-domain-ok=/${D}/`, forward]);
  });
  after(async () => {
    await filtering?.stop();
    await allowing?.stop();
    await upstream?.close();
  });

  const via = (server: Dnsmasq | undefined): { expectedCidrs: string[]; dnsServers: string[] } => ({
    expectedCidrs: VNET,
    dnsServers: [(server as Dnsmasq).endpoint],
  });

  for (const [name, label] of [
    ['rb', 'a 10.x private endpoint'],
    ['lo', 'a loopback private endpoint'],
  ]) {
    it(`${label}: DNS_PRIVATE_ANSWER_FILTERED, naming the rebind filter`, async () => {
      const report = await verifyEndpoint(`${name}.${D}`, via(filtering), NO_HOSTS);
      assert.equal(report.verdict, 'unresolved');
      assert.deepEqual(
        report.findings.map((f) => [f.code, f.severity]),
        [['DNS_PRIVATE_ANSWER_FILTERED', 'error']],
      );
      const f = report.findings[0];
      assert.equal(f?.evidence['privateLinkName'], `${name}.privatelink.${D}`);
      assert.match(f?.message ?? '', /NOERROR/);
      assert.match(f?.remediation ?? '', /rebind-domain-ok/);
      assert.match(f?.remediation ?? '', /privatelink\.azure-devices-provisioning\.net/);
    });
  }

  it('a privatelink name asked directly: DNS_PRIVATE_ANSWER_FILTERED', async () => {
    const report = await verifyEndpoint(`rb.privatelink.${D}`, via(filtering), NO_HOSTS);
    assert.deepEqual(
      report.findings.map((f) => f.code),
      ['ENDPOINT_PRIVATELINK_NAME', 'DNS_PRIVATE_ANSWER_FILTERED'],
    );
  });

  it('a record truly missing in the zone (NXDOMAIN through the same dnsmasq) stays DNS_PRIVATELINK_RECORD_MISSING', async () => {
    const report = await verifyEndpoint(`gone.${D}`, via(filtering), NO_HOSTS);
    assert.deepEqual(
      report.findings.map((f) => f.code),
      ['DNS_PRIVATELINK_RECORD_MISSING'],
    );
    assert.equal(report.findings[0]?.evidence['rcode'], 'NXDOMAIN');
  });

  it('with the Azure zone allowed (--rebind-domain-ok) the private answer comes through', async () => {
    const report = await verifyEndpoint(`rb.${D}`, via(allowing), NO_HOSTS);
    assert.equal(report.verdict, 'private-in-vnet');
    assert.deepEqual(report.findings, []);
  });
});
