// A gateway shares DNS verification: with an endpoint cache, a DPS or hub name is resolved and classified once per
// DNS TTL (the lab's A records have TTL 10 s), counted at the lab's DNS server.
import assert from 'node:assert/strict';
import { createEndpointCache } from '../../src/endpoint/cache';
import { verifyEndpoint } from '../../src/endpoint/verify';
import { provisionDevice } from '../../src/provision/provision';
import type { LabHandle } from '../../src/lab/types';
import { optionsFor, startTestLab } from '../support/provision-lab';

describe('endpoint: verification shared within the DNS TTL (createEndpointCache)', () => {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());
  afterEach(() => {
    lab.setDnsView('private');
    lab.setDnsView('private', 'hub');
  });

  const queries = (host: string): number => lab.dns.queries.get(host) ?? 0;
  const network = () => ({ expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer] });

  it('a second verification within the TTL asks no DNS server; after the TTL it asks again', async () => {
    let clock = 1_000_000;
    const cache = createEndpointCache({ now: () => clock });
    const first = await verifyEndpoint(lab.dps.host, network(), { cache });
    const asked = queries(lab.dps.host);
    const second = await verifyEndpoint(lab.dps.host, network(), { cache });
    assert.equal(queries(lab.dps.host), asked, 'no query within the TTL');
    assert.deepEqual(second, first);
    assert.notEqual(second, first, 'a copy: editing one report cannot change the next');
    // Deep edits of a report handed out, and of the one first returned, reach no later report.
    second.addresses[0]!.address = '203.0.113.9';
    second.trace[0]!.chain.push('edited.example');
    first.findings.push({ ...(first.findings[0] ?? {}), code: 'EDITED' } as never);
    const third = await verifyEndpoint(lab.dps.host, network(), { cache });
    assert.equal(queries(lab.dps.host), asked, 'still no query within the TTL');
    assert.equal(third.addresses[0]!.address, lab.dps.address);
    assert.ok(!third.trace[0]!.chain.includes('edited.example'));
    assert.deepEqual(third.findings, []);
    clock += 11_000;
    await verifyEndpoint(lab.dps.host, network(), { cache });
    assert.ok(queries(lab.dps.host) > asked, 'asked again after the 10 s TTL');
  });

  it('other ranges or policy are another entry; a failed answer is never kept', async () => {
    const cache = createEndpointCache();
    await verifyEndpoint(lab.dps.host, network(), { cache });
    const asked = queries(lab.dps.host);
    await verifyEndpoint(lab.dps.host, { ...network(), expectedCidrs: ['127.10.0.0/24'] }, { cache });
    assert.ok(queries(lab.dps.host) > asked, 'different ranges: resolved again');
    lab.setDnsView('nxdomain', 'hub');
    const name = lab.hub.host;
    await verifyEndpoint(name, network(), { cache, role: 'hub' });
    const afterFailure = queries(name);
    lab.setDnsView('private', 'hub');
    const ok = await verifyEndpoint(name, network(), { cache, role: 'hub' });
    assert.ok(queries(name) > afterFailure, 'the NXDOMAIN was not kept');
    assert.equal(ok.verdict, 'private-in-vnet');
  });

  it('provisionDevice: ten devices sharing one cache resolve the DPS and hub names once each', async () => {
    const cache = createEndpointCache();
    const dpsBefore = queries(lab.dps.host);
    const hubBefore = queries(lab.hub.host);
    for (let i = 0; i < 10; i++) {
      const device = await lab.createDevice(`gw-shared-${i}`, 'symmetric-key');
      const result = await provisionDevice(optionsFor(lab, device, { endpointCache: cache }));
      assert.equal(result.dps.verdict, 'private-in-vnet');
      assert.equal(result.hub.verdict, 'private-in-vnet');
    }
    // One verification = one A and one AAAA query per name.
    assert.equal(queries(lab.dps.host) - dpsBefore, 2);
    assert.equal(queries(lab.hub.host) - hubBefore, 2);
  });

  it('a bad endpointCache is refused naming the option', async () => {
    const device = await lab.createDevice('gw-bad-cache', 'symmetric-key');
    await assert.rejects(provisionDevice(optionsFor(lab, device, { endpointCache: {} as never })), /endpointCache/);
  });
});
