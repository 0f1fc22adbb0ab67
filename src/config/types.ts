/**
 * How the device reaches DPS and the hub: `mqtt` = MQTT over TLS on 8883 (default); `mqtt-ws` = MQTT over WebSockets
 * over TLS on 443. The one definition: every layer above names it `TransportName`.
 */
export type TransportName = 'mqtt' | 'mqtt-ws';
/** @deprecated the same union as {@link TransportName}, kept for existing imports. */
export type Transport = TransportName;

/**
 * What to do with an address outside `expectedCidrs`: `enforce` (default) never dials it, `warn` dials and reports,
 * `off` dials without the range check. A policy never changes a finding's severity. The one definition.
 */
export type Policy = 'enforce' | 'warn' | 'off';

/**
 * The device configuration shared by dps-check and the samples. Paths are absolute once loaded (a path in a config
 * file is relative to that file). Secrets are never part of it: the key passphrase and a symmetric key come from
 * the environment only (DPS_KEY_PASSPHRASE, DPS_SYMMETRIC_KEY).
 */
export interface DeviceConfig {
  /** DPS service endpoint, `<name>.azure-devices-provisioning.net`. */
  provisioningHost?: string;
  /** The DPS ID scope, e.g. `0ne00000A1B` (`--id-scope`, DPS_ID_SCOPE). */
  idScope?: string;
  /**
   * The registration id (`--registration-id`, DPS_REGISTRATION_ID): letters (case-insensitive), digits and `- . _ :`,
   * at most 128, ending in a letter, digit or `-`. For X.509 it is the device certificate's subject CN.
   */
  registrationId?: string;
  /** Device certificate file (PEM or DER; may hold the chain: device, then intermediates). */
  certFile?: string;
  /** Device private key file (PEM or DER, RSA or EC, optionally encrypted). */
  keyFile?: string;
  /** Extra trust anchor for the service certificate (PEM), for labs and TLS-inspecting networks. */
  caFile?: string;
  /** VNET ranges the private endpoints must live in (CIDR). */
  expectedCidrs: string[];
  /** DNS servers to ask besides (or instead of) the system resolver, `ip` or `ip:port`. */
  dnsServers: string[];
  /** Transport to DPS and the hub. Default `mqtt`. */
  transport: Transport;
  /**
   * What to do with an address outside `expectedCidrs`: `enforce` refuses, `warn` allows with a warning, `off` only
   * reports. Default `enforce`.
   */
  policy: Policy;
  /** MQTT/TLS port, default 8883 (override only for labs). */
  port: number;
  /** WebSocket/HTTPS port, default 443 (override only for labs). */
  wsPort: number;
  /** MQTT/TLS port of the assigned IoT hub, default 8883 (override only for labs). */
  hubPort: number;
  /** The cached assignment (provisionDevice's `cache.path`): dps-check reads it and checks the cached hub. */
  cacheFile?: string;
  /** HTTP CONNECT proxy `http://<ip>:<port>` for `mqtt-ws` (provisionDevice's `proxy`). */
  proxy?: string;
}

/** The keys of DeviceConfig, in display order. */
export const CONFIG_KEYS = [
  'provisioningHost',
  'idScope',
  'registrationId',
  'certFile',
  'keyFile',
  'caFile',
  'expectedCidrs',
  'dnsServers',
  'transport',
  'policy',
  'port',
  'wsPort',
  'hubPort',
  'cacheFile',
  'proxy',
] as const satisfies readonly (keyof DeviceConfig)[];

/** One configuration key. */
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Where a value came from, shown by dps-check so a technician knows which knob to turn. */
export interface ValueSource {
  /** The kind of source: a command-line flag, an environment variable, the config file, or the built-in default. */
  kind: 'flag' | 'env' | 'file' | 'default';
  /** `--host`, `DPS_HOST`, `/etc/dps/device.json#provisioningHost` or `default`. */
  name: string;
}

/** A loaded configuration plus the source of every value that is set. */
export interface LoadedConfig {
  /** The merged configuration (flags over environment over file over defaults; see loadConfig). */
  config: DeviceConfig;
  /** Where each value that is set came from. */
  sources: Partial<Record<ConfigKey, ValueSource>>;
  /** The config file used, if any. */
  configFile?: string;
  /** Passphrase for an encrypted key, from the environment (never from a flag or the file). */
  passphrase?: string;
  /** Name of the environment variable the passphrase came from. */
  passphraseSource?: string;
  /** Symmetric key, from the environment (never from a flag or the file). */
  symmetricKey?: string;
}

/** Defaults for every optional value. */
export const CONFIG_DEFAULTS = {
  expectedCidrs: [] as string[],
  dnsServers: [] as string[],
  transport: 'mqtt' as Transport,
  policy: 'enforce' as Policy,
  port: 8883,
  wsPort: 443,
  hubPort: 8883,
};
