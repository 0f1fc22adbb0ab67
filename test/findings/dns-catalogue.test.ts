import assert from 'node:assert/strict';
import { catalogue } from '../../src/findings/catalogue';
import { dnsFindings } from '../../src/findings/catalogue/dns';
import type { FindingSpec } from '../../src/findings/types';

// The DNS_* and ENDPOINT_* codes of design.md §5 that src/endpoint owns. Codes never change once shipped.
const DESIGN_CODES = [
  'DNS_NXDOMAIN',
  'DNS_TIMEOUT',
  'DNS_SERVFAIL',
  'DNS_PUBLIC_ADDRESS',
  'DNS_NO_PRIVATELINK_CNAME',
  'DNS_PRIVATELINK_NOT_PRIVATE',
  'DNS_PRIVATELINK_RECORD_MISSING',
  'DNS_OUTSIDE_VNET',
  'DNS_MIXED_ANSWERS',
  'DNS_ANSWER_CHANGED',
  'DNS_HOSTS_FILE_OVERRIDE',
  'ENDPOINT_GLOBAL_WITH_PRIVATE_LINK',
  'ENDPOINT_IS_IP_ADDRESS',
];
// Added by this area beyond §5.
const EXTRA_CODES = [
  'DNS_QUERY_FAILED',
  'DNS_RESOLVERS_DISAGREE',
  'ENDPOINT_PRIVATELINK_NAME',
  'DNS_PRIVATE_ANSWER_FILTERED',
];

/** Evidence with every field a DNS/endpoint spec may read, so each message can be rendered. */
const SAMPLE = {
  host: 'mydps.azure-devices-provisioning.net',
  resolver: '10.1.0.4:53',
  chain: ['mydps.azure-devices-provisioning.net', 'mydps.privatelink.azure-devices-provisioning.net'],
  privateLinkZone: 'privatelink.azure-devices-provisioning.net',
  publicZone: 'azure-devices-provisioning.net',
  privateLinkName: 'mydps.privatelink.azure-devices-provisioning.net',
  timeoutMs: 2000,
  rcode: 'NXDOMAIN',
  error: 'timeout',
  addresses: ['10.9.0.4'],
  publicAddresses: ['20.61.4.5'],
  expectedCidrs: ['10.1.0.0/16'],
  inRange: ['10.1.2.4'],
  outOfRange: ['20.61.4.5'],
  before: ['10.1.2.4'],
  after: ['20.61.4.5'],
  primary: '10.1.0.5:53',
  primaryAddresses: ['10.1.2.4'],
  hostsFile: '/etc/hosts',
  dnsAddresses: ['10.1.2.4'],
  serviceEndpointExample: '<your-dps-name>.azure-devices-provisioning.net',
  addressClass: 'private',
  inExpectedRange: true,
  serviceName: 'mydps.azure-devices-provisioning.net',
};

describe('DNS and endpoint finding catalogue', () => {
  it('has every DNS_* and ENDPOINT_* code of design.md §5, and only DNS_/ENDPOINT_ codes', () => {
    const codes = Object.keys(dnsFindings).sort();
    assert.deepEqual(codes, [...DESIGN_CODES, ...EXTRA_CODES].sort());
    for (const code of codes) assert.ok(code in catalogue, `${code} is merged into the catalogue`);
  });

  for (const code of [...DESIGN_CODES, ...EXTRA_CODES]) {
    it(`${code} has a title, a concrete message and a specific remediation`, () => {
      const spec = (dnsFindings as Record<string, FindingSpec<typeof SAMPLE>>)[code];
      assert.ok(spec);
      assert.ok(['error', 'warning', 'info'].includes(spec.severity));
      assert.ok(spec.title.trim().length > 10);
      const message = spec.message(SAMPLE);
      const remediation = spec.remediation(SAMPLE);
      assert.ok(message.length > 30 && !/undefined|\[object/.test(message), message);
      assert.ok(remediation.length > 60 && !/undefined|\[object/.test(remediation), remediation);
      assert.ok(message.includes(SAMPLE.host), `message names the host: ${message}`);
    });
  }

  it('DNS_PRIVATELINK_NOT_PRIVATE says what to link and what to forward', () => {
    const r = dnsFindings.DNS_PRIVATELINK_NOT_PRIVATE.remediation(SAMPLE);
    assert.match(r, /privatelink\.azure-devices-provisioning\.net/);
    assert.match(r, /public zone azure-devices-provisioning\.net \(not the privatelink zone\)/);
    assert.match(r, /168\.63\.129\.16/);
  });
});
