// --compare-system when the system resolver itself fails (getaddrinfo EAI_AGAIN, ENOTFOUND, no answer in time): the
// plain SDK and every other client on the device would fail the same way, so dps-dns must say so, never pass quietly.
import assert from 'node:assert/strict';
import { dpsDns } from '../../src/checks/dps-dns';
import type { CheckContext } from '../../src/checks/types';
import { loadConfig } from '../../src/config/load';
import { startDnsServer, type DnsServer } from '../../src/lab/dns-server';

const HOST = 'cmpfail-dps.azure-devices-provisioning.net';
const PL = 'cmpfail-dps.privatelink.azure-devices-provisioning.net';

describe('dps-dns --compare-system: a failing system resolver is reported', () => {
  let dns: DnsServer;
  before(async () => {
    dns = await startDnsServer({ zone: { [HOST]: { cname: PL }, [PL]: { a: ['10.1.0.5'] } } });
  });
  after(() => dns.close());

  function ctx(systemLookup: NonNullable<CheckContext['settings']['systemLookup']>): CheckContext {
    const loaded = loadConfig({
      flags: { provisioningHost: HOST, expectedCidrs: ['10.1.0.0/16'], dnsServers: [dns.endpoint] },
    });
    return {
      loaded,
      config: loaded.config,
      settings: { register: false, compareSystem: true, timeoutMs: 1500, now: () => new Date(), systemLookup },
      state: {},
    };
  }
  const failing = (code: string) => async (): Promise<never> => {
    throw Object.assign(new Error(`getaddrinfo ${code} ${HOST}`), { code, syscall: 'getaddrinfo', hostname: HOST });
  };

  const cases: [string, NonNullable<CheckContext['settings']['systemLookup']>, string, RegExp][] = [
    ['EAI_AGAIN (no DNS server reachable)', failing('EAI_AGAIN'), 'DNS_QUERY_FAILED', /EAI_AGAIN/],
    ['ENOTFOUND (the name does not exist there)', failing('ENOTFOUND'), 'DNS_NXDOMAIN', /NXDOMAIN/],
    ['no answer within the timeout', () => new Promise<never>(() => undefined), 'DNS_TIMEOUT', /did not answer/],
  ];
  for (const [name, lookup, code, message] of cases) {
    it(`${name}: ${code} as a warning naming the system resolver and the plain SDK`, async () => {
      const out = await dpsDns.run(ctx(lookup));
      assert.deepEqual(
        out.findings?.map((f) => [f.code, f.severity, f.evidence['resolver']]),
        [[code, 'warning', 'system']],
      );
      assert.match(out.findings?.[0]?.message ?? '', message);
      assert.match(out.findings?.[0]?.message ?? '', /system resolver/);
      assert.match(out.findings?.[0]?.message ?? '', /plain SDK/);
      assert.ok(Array.isArray(out.evidence?.['system']));
    });
  }
});
