// The lab DNS server on IPv6 loopback (::1): the 'ip:port' form, every view, and a whole provisioning run resolving
// through it. Only DNS can live on ::1 — it is the one IPv6 loopback address, and every lab endpoint needs its own.
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { provisionDevice, verifyEndpoint } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { LabListenError } from '../../src/lab/errors';
import { startLab } from '../../src/lab/lab';
import { optionsFor } from '../support/provision-lab';

describe('lab DNS on IPv6 loopback (::1)', function () {
  this.timeout(20_000);
  let lab: LabHandle | undefined;

  before(async function () {
    try {
      lab = await startLab({ dnsAddress: '::1', mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
    } catch (err) {
      // A host without IPv6 on loopback cannot run these; say so instead of passing silently.
      if (err instanceof LabListenError && err.option === 'dnsAddress') {
        console.log(`    (skipped: ::1 is not available here: ${err.message})`);
        this.skip();
      }
      throw err;
    }
  });
  after(() => lab?.close());
  afterEach(() => lab?.setDnsView('private', 'dps'));

  const the = (): LabHandle => {
    assert.ok(lab);
    return lab;
  };

  it("gives its endpoint in the bracketed '[::1]:port' form that network.dnsServers takes", () => {
    assert.match(the().dnsServer, /^\[::1\]:\d+$/);
  });

  it('answers the Azure names over IPv6: privatelink CNAME, then the private endpoints', async () => {
    const r = new dns.promises.Resolver({ timeout: 500, tries: 1 });
    r.setServers([the().dnsServer]);
    assert.deepEqual(await r.resolveCname(the().dps.host), [the().dps.privatelinkHost]);
    assert.deepEqual(await r.resolve4(the().dps.host), [the().dps.address]);
    assert.deepEqual(await r.resolve4(the().hub.host), [the().hub.address]);
  });

  it('verifyEndpoint traces through it: private-in-vnet, then DNS_PRIVATELINK_NOT_PRIVATE in the public view', async () => {
    const lab = the();
    const network = { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer] };
    const ok = await verifyEndpoint(lab.dps.host, network);
    assert.equal(ok.verdict, 'private-in-vnet');
    assert.equal(ok.trace[0]?.resolver, lab.dnsServer);
    assert.deepEqual(
      ok.addresses.map((a) => a.address),
      [lab.dps.address],
    );
    lab.setDnsView('public');
    const pub = await verifyEndpoint(lab.dps.host, network);
    assert.equal(pub.verdict, 'private-outside-vnet');
    assert.ok(
      pub.findings.some((f) => f.code === 'DNS_PRIVATELINK_NOT_PRIVATE'),
      JSON.stringify(pub.findings.map((f) => f.code)),
    );
  });

  it('provisionDevice resolves DPS and the hub through [::1] and is assigned', async () => {
    const lab = the();
    const device = await lab.createDevice('ipv6-dns-dev', 'symmetric-key');
    const result = await provisionDevice(optionsFor(lab, device));
    assert.equal(result.assignedHub, lab.hub.host);
    assert.equal(result.dps.verdict, 'private-in-vnet');
    assert.equal(result.hub.verdict, 'private-in-vnet');
    assert.equal(result.dps.trace[0]?.resolver, lab.dnsServer);
  });
});
