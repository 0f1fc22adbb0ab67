/**
 * dps-private-link: the public API, and nothing else. Every export is named here (no `export *`).
 */
export { DpsPrivateLinkError, InvalidOptionError, AbortedError } from './errors';
export type { Finding, Severity, Evidence } from './findings/types';
export { createFinding } from './findings/finding';
export type { FindingCode } from './findings/catalogue';
export { catalogue as findingCatalogue } from './findings/catalogue';
export { renderFindingsText, renderFindingsJson, findingsToJson } from './findings/render';
export type { RenderTextOptions } from './findings/render';
export { verifyEndpoint, connectableAddresses, classifyAddress, parseCidrs, parseDnsServer, cloudOf, isGlobalDpsEndpoint, AZURE_CLOUDS, answerChanged } from './endpoint';
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
export { startLab } from './lab/lab';
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
export type { HubClientOptions } from './handoff/hub-client';
export { connectDevice } from './handoff/connect-device';
export { probeTls } from './connection/probe';
export type { ProbeResult } from './connection/probe';
export type { ConnectTarget, TlsInfo, TlsMinVersion, PemInput, ProxyAddress } from './connection/types';
export { loadConfig, readConfigFile, loadDeviceIdentity } from './config';
export type { DeviceConfig, LoadedConfig, ValueSource, ConfigKey, ConfigFlags, LoadConfigOptions, DeviceIdentity } from './config';
export { dpsCheck } from './checks/main';
export type { CliIo } from './checks/main';
