// The endpoint module's surface for the rest of the package (provision, handoff, checks use these).
export type {
  Policy,
  NetworkOptions,
  VerifyOptions,
  AddressClass,
  AddressInfo,
  ResolverTrace,
  Verdict,
  EndpointReport,
} from './types';
export { verifyEndpoint, connectableAddresses, toAddressInfo } from './verify';
export { answerChanged } from './compare';
export { classifyAddress, parseCidrs, parseDnsServer, isInCidrs, ipFamily } from './address';
export type { Cidr, DnsServerAddress } from './address';
export {
  AZURE_CLOUDS,
  azureCloud,
  cloudOf,
  identifyHost,
  isGlobalDpsEndpoint,
  privateLinkZonesFor,
  isInZone,
} from './clouds';
export type { AzureCloud, AzureCloudName, HostIdentity } from './clouds';
export { resolveNetworkOptions, normaliseHost, NETWORK_DEFAULTS } from './options';
export type { ResolvedNetwork } from './options';
export { queryDnsServer } from './dns-client';
export type { DnsServerAnswer, DnsAddressRecord } from './dns-client';
export { defaultHostsFile, parseHostsFile } from './hosts-file';
