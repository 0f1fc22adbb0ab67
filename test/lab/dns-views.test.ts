import assert from 'node:assert/strict';
import dns from 'node:dns';
import { startLab } from '../../src/index';
import type { LabHandle } from '../../src/index';

/** Resolve through the lab DNS server only (never the system resolver). */
function resolver(lab: LabHandle): dns.promises.Resolver {
  const r = new dns.promises.Resolver({ timeout: 500, tries: 1 });
  r.setServers([lab.dnsServer]);
  return r;
}

describe('lab DNS views', () => {
  let lab: LabHandle;
  before(async () => {
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  });
  after(() => lab.close());
  afterEach(() => {
    lab.setDnsView('private', 'dps');
    lab.setDnsView('private', 'hub');
  });

  it('answers the DPS name with the privatelink CNAME and the private endpoint inside the VNET', async () => {
    const r = resolver(lab);
    assert.deepEqual(await r.resolveCname(lab.dps.host), [lab.dps.privatelinkHost]);
    assert.deepEqual(await r.resolve4(lab.dps.host), ['127.10.0.10']);
    assert.deepEqual(await r.resolve4(lab.hub.host), ['127.10.0.20']);
    assert.deepEqual(await r.resolve4(lab.dps.privatelinkHost), ['127.10.0.10']);
  });

  it('public view: privatelink CNAME then an internal name then the public twin', async () => {
    lab.setDnsView('public');
    const r = resolver(lab);
    assert.deepEqual(await r.resolveCname(lab.dps.privatelinkHost), ['lab-dps-prod.westeurope.cloudapp.azure.com']);
    assert.deepEqual(await r.resolve4(lab.dps.host), [lab.publicTwin.address]);
    // the hub is untouched by a DPS view
    assert.deepEqual(await r.resolve4(lab.hub.host), [lab.hub.address]);
  });

  const cases: [Parameters<LabHandle['setDnsView']>[0], (r: dns.promises.Resolver, host: string) => Promise<void>][] = [
    [
      'no-privatelink',
      async (r, host) => assert.deepEqual(await r.resolveCname(host), ['lab-hub-prod.westeurope.cloudapp.azure.com']),
    ],
    ['privatelink-missing', async (r, host) => await assert.rejects(r.resolve4(host), { code: 'ENOTFOUND' })],
    ['outside-vnet', async (r, host) => assert.deepEqual(await r.resolve4(host), ['10.99.0.4'])],
    ['outside-vnet-loopback', async (r, host) => assert.deepEqual(await r.resolve4(host), ['127.99.0.4'])],
    ['mixed', async (r, host) => assert.deepEqual((await r.resolve4(host)).sort(), ['127.10.0.20', '127.200.0.2'])],
    ['nxdomain', async (r, host) => await assert.rejects(r.resolve4(host), { code: 'ENOTFOUND' })],
    ['servfail', async (r, host) => await assert.rejects(r.resolve4(host), { code: 'ESERVFAIL' })],
    ['drop', async (r, host) => await assert.rejects(r.resolve4(host), { code: 'ETIMEOUT' })],
  ];
  for (const [view, check] of cases) {
    it(`hub view ${view} answers as that broken case does`, async () => {
      lab.setDnsView(view, 'hub');
      await check(resolver(lab), lab.hub.host);
    });
  }

  it('answers the global endpoint with the public twin (it never goes through a private endpoint)', async () => {
    assert.deepEqual(await resolver(lab).resolve4('global.azure-devices-provisioning.net'), [lab.publicTwin.address]);
  });

  it('refuses an unknown view, naming it', () => {
    assert.throws(() => lab.setDnsView('sideways' as 'private'), { code: 'ERR_INVALID_OPTION', message: /sideways/ });
  });
});
