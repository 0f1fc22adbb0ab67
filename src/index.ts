/**
 * `dps-private-link`: the device API — provision through the private endpoint, verify endpoints, open the pinned hub
 * client, findings and errors. Every export is named here (no `export *`).
 *
 * Two more entry points serve other audiences: `dps-private-link/diagnostics` (probes, dps-check, config loading) and
 * `dps-private-link/lab` (the local private DNS/DPS/hub simulator). This root still re-exports their names so that no
 * existing import breaks; those are marked "moved" below. The lab and dps-check are loaded on first call (see the
 * wrappers at the end): a device that only provisions never loads the lab's PKI and MQTT servers.
 */
import type { LabHandle, LabOptions } from './lab/types';
import type { CliIo } from './checks/main';

// The device API.
export { DpsPrivateLinkError, InvalidOptionError, AbortedError } from './errors';
export type { ErrorCode } from './errors';
export type { Finding, Severity, Evidence } from './findings/types';
export { createFinding } from './findings/finding';
export type { FindingCode } from './findings/catalogue';
export { catalogue as findingCatalogue } from './findings/catalogue';
export { renderFindingsText, renderFindingsJson, findingsToJson } from './findings/render';
export type { RenderTextOptions } from './findings/render';
export {
  verifyEndpoint,
  connectableAddresses,
  classifyAddress,
  parseCidrs,
  parseDnsServer,
  cloudOf,
  isGlobalDpsEndpoint,
  AZURE_CLOUDS,
  answerChanged,
} from './endpoint';
export type {
  Policy,
  NetworkOptions,
  VerifyOptions,
  AddressClass,
  AddressInfo,
  ResolverTrace,
  Verdict,
  EndpointReport,
  AzureCloud,
  AzureCloudName,
} from './endpoint';
export { provisionDevice } from './provision/provision';
export { ProvisioningError } from './provision/errors';
export type {
  ProvisionOptions,
  ProvisioningResult,
  DeviceAuth,
  X509Auth,
  SymmetricKeyAuth,
  TransportName,
  ProgressEvent,
  ProgressStep,
} from './provision/types';
export { createHubClient, openHubClient, HubConnectionError } from './handoff/hub-client';
export type { HubClientOptions, OpenHubClientOptions } from './handoff/hub-client';
export { connectDevice } from './handoff/connect-device';
export type { ConnectDeviceOptions, ConnectedDevice } from './handoff/connect-device';
export { reportPosture, POSTURE_MAX_BYTES, POSTURE_SCHEMA } from './handoff/posture';
export type { PostureDocument, PostureEndpoint, PostureOptions, PostureReport } from './handoff/posture';
export { reverifyHubClient, hubClientFindings } from './handoff/reverify';
export { createEndpointCache } from './endpoint/cache';
export type { EndpointCache, EndpointCacheOptions } from './endpoint/cache';

// Moved to `dps-private-link/lab` (re-exported here so existing imports keep working).
export { LabListenError } from './lab/errors';
export type {
  LabOptions,
  LabHandle,
  LabDevice,
  LabDeviceKind,
  LabDeviceOptions,
  LabDnsView,
  LabFault,
  LabCounters,
  LabMessage,
} from './lab/types';
export type { DnsServer, DnsRecord, DnsZone } from './lab/dns-server';

// Moved to `dps-private-link/diagnostics` (re-exported here so existing imports keep working).
export { probeTls } from './connection/probe';
export type { ProbeResult } from './connection/probe';
export type { ConnectTarget, TlsInfo, TlsMinVersion, PemInput, ProxyAddress } from './connection/types';
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
export type { CliIo };

/**
 * Moved to `dps-private-link/lab`.
 *
 * Start the local private lab on loopback: a DNS server with Azure-like zones, a DPS and an IoT hub over MQTT/TLS and
 * MQTT/WebSockets at their private endpoints inside the lab VNET, and the public twins of both (public network access
 * disabled). Everything binds loopback addresses only. Close it with `close()`.
 *
 * @throws InvalidOptionError naming the field for a bad option; LabListenError when a port cannot be bound.
 */
export function startLab(options?: LabOptions): Promise<LabHandle> {
  return (require('./lab/lab') as typeof import('./lab/lab')).startLab(options);
}

/**
 * Moved to `dps-private-link/diagnostics`.
 *
 * Runs dps-check with `argv` (without `node` and the script) and returns the exit status:
 * 0 no error, 1 any error (or warning with --warnings-as-errors), 2 bad usage / unreadable input.
 */
export function dpsCheck(argv: readonly string[], io: CliIo): Promise<number> {
  return (require('./checks/main') as typeof import('./checks/main')).dpsCheck(argv, io);
}
