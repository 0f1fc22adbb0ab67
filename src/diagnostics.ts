/**
 * `dps-private-link/diagnostics`: for tools that explain a device's network path — probes, the dps-check checks and
 * CLI, and loading a device's configuration the way dps-check and the samples do. Every export is named here.
 *
 * A device app needs none of this: it imports `dps-private-link` (provision, verify, hub client, findings, errors).
 */
export { probeTls } from './connection/probe';
export type { ProbeResult } from './connection/probe';
export type { ConnectTarget, TlsInfo, TlsMinVersion, PemInput, ProxyAddress } from './connection/types';
export { dpsCheck } from './checks/main';
export type { CliIo } from './checks/main';
export { loadConfig, readConfigFile, loadDeviceIdentity } from './config';
export type {
  DeviceConfig,
  LoadedConfig,
  ValueSource,
  ConfigKey,
  ConfigFlags,
  LoadConfigOptions,
  DeviceIdentity,
} from './config';
export { renderFindingsText, renderFindingsJson, findingsToJson } from './findings/render';
export type { RenderTextOptions } from './findings/render';
