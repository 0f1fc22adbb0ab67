/** Loading the device configuration (flags, environment, JSON file) and its X.509 identity. */
export { loadConfig, readConfigFile, type ConfigFlags, type LoadConfigOptions } from './load';
export { loadDeviceIdentity, parseCertificates, parsePrivateKey, commonNameOf, type DeviceIdentity } from './identity';
export { FLAG_OF, ENV_OF, ENV_CONFIG_FILE, ENV_PASSPHRASE, ENV_SYMMETRIC_KEY } from './sources';
export type { DeviceConfig, LoadedConfig, ValueSource, ConfigKey, Transport, Policy } from './types';
