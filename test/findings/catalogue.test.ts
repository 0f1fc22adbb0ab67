import assert from 'node:assert/strict';
import { findingCatalogue } from '../../src/index';

// Codes never change once shipped: this list only grows. Removing or renaming a code fails here on purpose.
const SHIPPED = `
CLOCK_SKEW DEVICE_CERT_CN_MISMATCH DEVICE_CERT_EXPIRED DEVICE_CERT_EXPIRES_SOON DEVICE_CERT_NOT_YET_VALID
DEVICE_KEY_MISMATCH DEVICE_CERT_CHAIN_BROKEN DNS_ANSWER_CHANGED DNS_HOSTS_FILE_OVERRIDE DNS_MIXED_ANSWERS DNS_NO_PRIVATELINK_CNAME DNS_NXDOMAIN
DNS_OUTSIDE_VNET DNS_PRIVATELINK_NOT_PRIVATE DNS_PRIVATELINK_RECORD_MISSING DNS_PUBLIC_ADDRESS DNS_QUERY_FAILED
DNS_RESOLVERS_DISAGREE DNS_SERVFAIL DNS_TIMEOUT DPS_CACHE_CORRUPT DPS_CACHE_WRITE_FAILED DPS_CONNECTION_LOST
DPS_MALFORMED_RESPONSE DPS_REGISTRATION_FAILED DPS_SERVER_ERROR DPS_THROTTLED DPS_TIMEOUT DPS_UNAUTHORIZED
DPS_UNAUTHORIZED_PUBLIC ENDPOINT_GLOBAL_WITH_PRIVATE_LINK ENDPOINT_IS_IP_ADDRESS ENDPOINT_PRIVATELINK_NAME
HUB_CROSS_CLOUD HUB_OUTSIDE_VNET HUB_PUBLIC_ADDRESS HUB_TIMEOUT HUB_UNAUTHORIZED HUB_UNRESOLVED PROXY_IN_PATH
HUB_CONNECTION_LOST
PROXY_REFUSED PROXY_UNREACHABLE TCP_UNREACHABLE TLS_HANDSHAKE_FAILED TLS_HOSTNAME_MISMATCH TLS_LEGACY_ROOT
TLS_LOCAL_PROTOCOLS_DISABLED TLS_SERVER_CERT_EXPIRED TLS_UNTRUSTED_CHAIN TLS_VERSION_TOO_LOW
`
  .trim()
  .split(/\s+/);

// design.md §5, the catalogue the issues and acceptance checks refer to.
const DESIGN = `
DNS_NXDOMAIN DNS_TIMEOUT DNS_SERVFAIL DNS_PUBLIC_ADDRESS DNS_NO_PRIVATELINK_CNAME DNS_PRIVATELINK_NOT_PRIVATE
DNS_PRIVATELINK_RECORD_MISSING DNS_OUTSIDE_VNET DNS_MIXED_ANSWERS DNS_ANSWER_CHANGED DNS_HOSTS_FILE_OVERRIDE
ENDPOINT_GLOBAL_WITH_PRIVATE_LINK ENDPOINT_IS_IP_ADDRESS PROXY_IN_PATH TCP_UNREACHABLE TLS_VERSION_TOO_LOW
TLS_HOSTNAME_MISMATCH TLS_UNTRUSTED_CHAIN TLS_SERVER_CERT_EXPIRED TLS_LEGACY_ROOT DEVICE_CERT_EXPIRED
DEVICE_CERT_NOT_YET_VALID DEVICE_CERT_EXPIRES_SOON DEVICE_KEY_MISMATCH DEVICE_CERT_CN_MISMATCH CLOCK_SKEW
DPS_UNAUTHORIZED_PUBLIC DPS_UNAUTHORIZED DPS_THROTTLED DPS_REGISTRATION_FAILED DPS_TIMEOUT HUB_PUBLIC_ADDRESS
HUB_OUTSIDE_VNET HUB_CROSS_CLOUD HUB_UNAUTHORIZED
`
  .trim()
  .split(/\s+/);

describe('the finding catalogue', () => {
  const codes = Object.keys(findingCatalogue);

  it('still has every code ever shipped (codes never change)', () => {
    assert.deepEqual(
      SHIPPED.filter((c) => !codes.includes(c)),
      [],
    );
  });

  it('has no code that is not pinned here yet (add new codes to SHIPPED deliberately)', () => {
    assert.deepEqual(
      codes.filter((c) => !SHIPPED.includes(c)),
      [],
    );
  });

  it('covers every code of design.md §5', () => {
    assert.deepEqual(
      DESIGN.filter((c) => !codes.includes(c)),
      [],
    );
  });

  it('gives every code a severity, a title, a message and a remediation', () => {
    for (const [code, spec] of Object.entries(findingCatalogue)) {
      assert.match(code, /^[A-Z]+(_[A-Z0-9]+)+$/, code);
      assert.ok(['error', 'warning', 'info'].includes(spec.severity), code);
      assert.ok(spec.title.length > 10, code);
      assert.equal(typeof spec.message, 'function', code);
      assert.equal(typeof spec.remediation, 'function', code);
    }
  });
});
