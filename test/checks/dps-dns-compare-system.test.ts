// --compare-system: the device's own resolver (getaddrinfo, what the plain SDK uses) against the configured DNS
// server. The system resolver is the verifyEndpoint seam here: no Azure name ever reaches the real one.
import assert from 'node:assert/strict';
import { dpsDns } from '../../src/checks/dps-dns';
import type { CheckContext } from '../../src/checks/types';
import { loadConfig } from '../../src/config/load';
import { startDnsServer, type DnsServer } from '../../src/lab/dns-server';

describe('dps-dns --compare-system', () => {
  let dns: DnsServer;
  const host = 'cmp-dps.azure-devices-provisioning.net';
  before(async () => {
    dns = await startDnsServer({
      address: '127.0.0.1',
      zone: {
        [host]: { cname: 'cmp-dps.privatelink.azure-devices-provisioning.net' },
        'cmp-dps.privatelink.azure-devices-provisioning.net': { a: ['10.1.0.5'], ttl: 10 },
      },
    });
  });
  after(() => dns.close());

  function ctx(systemAnswer: string[], compareSystem = true): { ctx: CheckContext; asked: string[] } {
    const asked: string[] = [];
    const loaded = loadConfig({
      flags: { provisioningHost: host, expectedCidrs: ['10.1.0.0/16'], dnsServers: [dns.endpoint] },
    });
    return {
      asked,
      ctx: {
        loaded,
        config: loaded.config,
        settings: {
          register: false,
          compareSystem,
          timeoutMs: 2000,
          now: () => new Date(),
          systemLookup: async (h) => {
            asked.push(h);
            return systemAnswer.map((address) => ({ address, family: 4 as const }));
          },
        },
        state: {},
      },
    };
  }

  it('warns with DNS_RESOLVERS_DISAGREE when getaddrinfo answers the public address', async () => {
    const { ctx: c, asked } = ctx(['20.50.1.2']);
    const out = await dpsDns.run(c);
    assert.deepEqual(asked, [host]);
    assert.deepEqual(
      out.findings?.map((f) => f.code),
      ['DNS_RESOLVERS_DISAGREE'],
    );
    assert.equal(out.findings?.[0]?.severity, 'warning');
    assert.match(out.findings?.[0]?.message ?? '', /20\.50\.1\.2.*10\.1\.0\.5/);
    assert.ok(Array.isArray(out.evidence?.['system']));
  });

  it('is quiet when both agree', async () => {
    const out = await dpsDns.run(ctx(['10.1.0.5']).ctx);
    assert.deepEqual(out.findings, []);
  });

  it('never asks the system resolver without --compare-system', async () => {
    const { ctx: c, asked } = ctx(['20.50.1.2'], false);
    await dpsDns.run(c);
    assert.deepEqual(asked, []);
  });
});
