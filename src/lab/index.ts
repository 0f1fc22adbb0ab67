/**
 * dps-private-link/lab: the local private lab, for tests, demos and a technician's bench. It starts, on loopback only,
 * a DNS server with Azure-like zones, a DPS and an IoT hub at their private endpoints, and the public twins of both
 * (public network access disabled), with fault knobs to reproduce what goes wrong in the field.
 *
 * Devices never need this entry point: `dps-private-link` is the device API. Every export is named here (no
 * `export *`); types are exported as types.
 */
export { startLab } from './lab';
export { LabListenError } from './errors';
export { queryTwins } from './query';
export { TWIN_LIMITS } from './twin';
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
  LabBehaviour,
  LabAllocationFailure,
} from './types';
export type { DnsServer, DnsRecord, DnsZone } from './dns-server';
export { LAB_SCENARIOS, findScenario, applySetup } from './scenarios';
export type { LabScenario, ScenarioSetup, ScenarioCheckResult } from './scenarios';
