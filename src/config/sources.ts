import type { ConfigKey } from './types';

/** Command-line flag for each configuration key (dps-check). */
export const FLAG_OF: Record<ConfigKey, string> = {
  provisioningHost: '--host',
  idScope: '--id-scope',
  registrationId: '--registration-id',
  certFile: '--cert',
  keyFile: '--key',
  caFile: '--ca',
  expectedCidrs: '--expect-cidr',
  dnsServers: '--dns-server',
  transport: '--transport',
  policy: '--policy',
  port: '--port',
  wsPort: '--ws-port',
  hubPort: '--hub-port',
  cacheFile: '--cache',
  proxy: '--proxy',
};

/** Environment variable for each configuration key. Lists are comma-separated. */
export const ENV_OF: Record<ConfigKey, string> = {
  provisioningHost: 'DPS_PROVISIONING_HOST',
  idScope: 'DPS_ID_SCOPE',
  registrationId: 'DPS_REGISTRATION_ID',
  certFile: 'DPS_CERT_FILE',
  keyFile: 'DPS_KEY_FILE',
  caFile: 'DPS_CA_FILE',
  expectedCidrs: 'DPS_EXPECTED_CIDRS',
  dnsServers: 'DPS_DNS_SERVERS',
  transport: 'DPS_TRANSPORT',
  policy: 'DPS_POLICY',
  port: 'DPS_PORT',
  wsPort: 'DPS_WS_PORT',
  hubPort: 'DPS_HUB_PORT',
  cacheFile: 'DPS_CACHE_FILE',
  proxy: 'DPS_PROXY',
};

/** Environment variable naming the JSON config file when --config is not given. */
export const ENV_CONFIG_FILE = 'DPS_CONFIG';
/** Environment variable holding the passphrase of an encrypted device key. Never a flag: flags show up in `ps`. */
export const ENV_PASSPHRASE = 'DPS_KEY_PASSPHRASE';
/** Environment variable holding a symmetric key (symmetric-key attestation). Never a flag or a file field. */
export const ENV_SYMMETRIC_KEY = 'DPS_SYMMETRIC_KEY';
