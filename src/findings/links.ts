// The Microsoft Learn page each finding rests on: what a technician opens next. One map for every code, including
// codes other branches add (a code without a catalogue entry here is harmless; a catalogue code without a link fails
// test/findings/links.test.ts).

const LEARN = 'https://learn.microsoft.com/azure';

/** The pages, by what they cover. */
const PAGE = {
  privateEndpointDns: `${LEARN}/private-link/private-endpoint-dns`,
  dpsVnet: `${LEARN}/iot-dps/virtual-network-support`,
  hubVnet: `${LEARN}/iot-hub/virtual-network-support`,
  dpsTls: `${LEARN}/iot-dps/tls-support`,
  hubTls: `${LEARN}/iot-hub/iot-hub-tls-support`,
  ipFilter: `${LEARN}/iot-dps/iot-dps-ip-filtering`,
  troubleshoot: `${LEARN}/iot-dps/how-to-troubleshoot-dps`,
  x509: `${LEARN}/iot-dps/concepts-x509-attestation`,
} as const;

/** Codes per page; a code is listed once. */
const CODES_BY_PAGE: Record<keyof typeof PAGE, readonly string[]> = {
  privateEndpointDns: [
    'DNS_NXDOMAIN',
    'DNS_TIMEOUT',
    'DNS_SERVFAIL',
    'DNS_QUERY_FAILED',
    'DNS_PUBLIC_ADDRESS',
    'DNS_NO_PRIVATELINK_CNAME',
    'DNS_PRIVATELINK_NOT_PRIVATE',
    'DNS_PRIVATELINK_RECORD_MISSING',
    'DNS_PRIVATE_ANSWER_FILTERED',
    'DNS_MIXED_ANSWERS',
    'DNS_ANSWER_CHANGED',
    'DNS_RESOLVERS_DISAGREE',
    'DNS_HOSTS_FILE_OVERRIDE',
  ],
  dpsVnet: [
    'DNS_OUTSIDE_VNET',
    'ENDPOINT_GLOBAL_WITH_PRIVATE_LINK',
    'ENDPOINT_IS_IP_ADDRESS',
    'ENDPOINT_PRIVATELINK_NAME',
    'TCP_UNREACHABLE',
    'TCP_REFUSED',
    'PROXY_IN_PATH',
    'PROXY_REFUSED',
    'PROXY_UNREACHABLE',
    'DPS_UNAUTHORIZED_PUBLIC',
    'HUB_CROSS_CLOUD',
    'DPS_HUB_REFUSED_DPS',
    'DPS_CUSTOM_ALLOCATION_FAILED',
  ],
  hubVnet: [
    'HUB_PUBLIC_ADDRESS',
    'HUB_OUTSIDE_VNET',
    'HUB_UNRESOLVED',
    'HUB_UNAUTHORIZED',
    'HUB_CONNECTION_LOST',
    'HUB_TIMEOUT',
    'HUB_POSTURE_NOT_REPORTED',
  ],
  dpsTls: [
    'TLS_VERSION_TOO_LOW',
    'TLS_LOCAL_PROTOCOLS_DISABLED',
    'TLS_HOSTNAME_MISMATCH',
    'TLS_UNTRUSTED_CHAIN',
    'TLS_SERVER_CERT_EXPIRED',
    'TLS_HANDSHAKE_FAILED',
    'TLS_HANDSHAKE_STALLED',
    'ENV_TLS_WEAKENED',
  ],
  hubTls: ['TLS_LEGACY_ROOT'],
  ipFilter: ['DPS_FORBIDDEN'],
  x509: [
    'DEVICE_CERT_EXPIRED',
    'DEVICE_CERT_NOT_YET_VALID',
    'DEVICE_CERT_EXPIRES_SOON',
    'DEVICE_KEY_MISMATCH',
    'DEVICE_CERT_CN_MISMATCH',
    'DEVICE_CERT_CHAIN_BROKEN',
  ],
  troubleshoot: [
    'CLOCK_SKEW',
    'CLOCK_SOURCE_UNSYNCHRONISED',
    'DPS_UNAUTHORIZED',
    'DPS_THROTTLED',
    'DPS_SERVER_ERROR',
    'DPS_REGISTRATION_FAILED',
    'DPS_NO_HUB_LINKED',
    'DPS_ENROLLMENT_DISABLED',
    'DPS_REGISTRATION_UNASSIGNED',
    'DPS_UNEXPECTED_STATUS',
    'DPS_API_VERSION_UNSUPPORTED',
    'DPS_BAD_REQUEST',
    'DPS_NOT_FOUND',
    'DPS_REGISTRATION_CONFLICT',
    'DPS_PRECONDITION_FAILED',
    'DPS_ASSIGNED_HUB_INVALID',
    'DPS_DEVICE_ID_INVALID',
    'DPS_TIMEOUT',
    'DPS_MALFORMED_RESPONSE',
    'DPS_CONNECTION_LOST',
    'DPS_CACHE_CORRUPT',
    'DPS_CACHE_UNTRUSTED',
    'DPS_CACHE_WRITE_FAILED',
  ],
};

/** Finding code → the Microsoft Learn page it rests on. */
export const FINDING_LINKS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(CODES_BY_PAGE) as (keyof typeof PAGE)[]).flatMap((page) =>
      CODES_BY_PAGE[page].map((code) => [code, PAGE[page]]),
    ),
  ),
);

/** The documentation link of a finding code, if it has one. */
export function linkOf(code: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(FINDING_LINKS, code) ? FINDING_LINKS[code] : undefined;
}
