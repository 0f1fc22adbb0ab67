import type { Connector } from '../connection/connector';
import type { DeviceIdentity } from '../config/identity';
import type { DeviceConfig, LoadedConfig } from '../config/types';
import type { TlsInspection } from '../connection/probe';
import type { EndpointReport } from '../endpoint/types';
import type { Evidence, Finding } from '../findings/types';
import type { CacheRecord } from '../provision/cache';
import type { ProvisioningResult } from '../provision/types';

/** The result of one check, as iotedge/aziotctl check report it. */
export type CheckResult = 'ok' | 'warning' | 'error' | 'skipped';

/** Sections, in the order they run: later sections use what earlier ones found. */
export const SECTIONS = ['configuration', 'dns', 'network', 'tls', 'device-identity', 'provisioning', 'hub'] as const;

/** One section of the registry. */
export type Section = (typeof SECTIONS)[number];

/** What a check's run() returns. `result` defaults to the worst finding severity (none → ok). */
export interface CheckOutcome {
  result?: CheckResult;
  findings?: Finding[];
  /** What the check saw (names, addresses, certificate fields). Never a secret. */
  evidence?: Evidence;
  /** One line shown next to the title, e.g. the address or the reason for a skip. */
  detail?: string;
}

/** Options of a run that are not device configuration. */
export interface RunSettings {
  /** Run a real registration through provisionDevice (`--register`). */
  register: boolean;
  /** SNTP server `ip[:port]` to compare the clock with (`--ntp-server`). */
  ntpServer?: string;
  /**
   * With --dns-server, also resolve through the system resolver (getaddrinfo: what the plain SDK uses) and report
   * when it answers differently (`--compare-system`). Without --dns-server the system resolver is the only one anyway.
   */
  compareSystem: boolean;
  /** The system resolver (a seam for tests; default getaddrinfo via verifyEndpoint). */
  systemLookup?: (host: string) => Promise<{ address: string; family: 4 | 6 }[]>;
  /** Per network step timeout, ms. */
  timeoutMs: number;
  /** The assigned hub's MQTT-over-WebSockets port (`--hub-ws-port`; default 443). */
  hubWsPort?: number;
  /** The environment the run sees (NODE_OPTIONS and friends); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The clock (a seam for tests). */
  now: () => Date;
  signal?: AbortSignal;
  /** Opens every socket of the run: DNS, TCP, TLS, SNTP, registration (default: the package's own). A test seam. */
  connector?: Connector;
}

/** Ids of the TCP reach checks, one per host and port. */
export type TcpCheckId = 'dps-tcp-mqtt' | 'dps-tcp-websocket' | 'hub-tcp-mqtt' | 'hub-tcp-websocket';

/** Ids of the TLS checks, one per host and port. */
export type TlsCheckId = 'dps-tls-mqtt' | 'dps-tls-websocket' | 'hub-tls-mqtt' | 'hub-tls-websocket';

/** What a TCP check found out about its port, for the TLS check of the same port (and clock-skew). */
export interface TcpState {
  port: number;
  /** The addresses that accepted a TCP connection, in the order they were probed. */
  reachable: string[];
}

/**
 * What earlier checks found, for later ones (aziotctl's CheckerCache): one field per fact, filled by the check
 * named in its comment and read only by checks that declare it in `dependsOn` or `after`. A field that is absent
 * means its check did not run, was skipped, or did not get that far.
 */
export interface CheckState {
  /** `dps-dns`: the DPS name resolved and classified (read by the DPS TCP checks and dps-register). */
  dpsEndpoint?: EndpointReport;
  /** The TCP checks, by id: the port and the addresses that answered on it (read by the TLS checks, clock-skew). */
  tcp?: { [Id in TcpCheckId]?: TcpState };
  /** The TLS checks, by id: what the handshake showed (protocol, chain, root, name match). */
  tls?: { [Id in TlsCheckId]?: TlsInspection };
  /** `dps-register`: the registration result: the assigned hub and its verified report (read by the hub checks). */
  registration?: ProvisioningResult;
  /** `hub-dns`: the assigned hub's report, as provisionDevice verified it (read by the hub TCP checks). */
  hubEndpoint?: EndpointReport;
  /** `dps-cache`: the cached assignment, when it is usable for this device (read by dps-register). */
  cachedAssignment?: CacheRecord;
  /** `dps-cache`: the cached hub's report, resolved as the device resolves it (read by dps-register's cache try). */
  cachedHubEndpoint?: EndpointReport;
  /** The --ca file's PEM, read once by the first check that needs it (see caOf in tls-handshake.ts). */
  caPem?: string;
}

/** What checks share: the configuration, the loaded identity, the run's settings, and what earlier checks found. */
export interface CheckContext {
  loaded: LoadedConfig;
  config: DeviceConfig;
  identity?: DeviceIdentity;
  settings: RunSettings;
  /** Filled as checks run; a new run starts with `{}`. */
  state: CheckState;
}

/** One diagnostic: a stable kebab-case id, a one-line title, its section, and what it needs first. */
export interface Check {
  id: string;
  title: string;
  section: Section;
  /**
   * The title for this run's configuration, e.g. naming the port --port moved the probe to; absent: `title`. `title`
   * stays the one --list shows (with the default ports).
   */
  titleFor?(ctx: CheckContext): string;
  /** Ids of checks that must have passed (ok or warning) before this one can run. */
  dependsOn?: readonly string[];
  /**
   * Ids of earlier checks that must have finished (whatever their result) before this one starts, besides
   * `dependsOn`: the ones whose state it reads. Declaring it lets the check run concurrently with everything else
   * (network probes overlap). Absent: the check waits for every earlier check, i.e. runs strictly in order.
   */
  after?: readonly string[];
  run(ctx: CheckContext): Promise<CheckOutcome> | CheckOutcome;
}

/** What the runner reports for each check. */
export interface CheckReport {
  id: string;
  title: string;
  section: Section;
  result: CheckResult;
  findings: Finding[];
  evidence: Evidence;
  detail?: string;
  durationMs: number;
  /**
   * Set when the check threw: the error chain (message and code of each cause), for --verbose; or, for an error
   * without a finding, the line that names it a check bug (see runChecks). An `error` has findings or this.
   */
  errorChain?: string[];
}

/** Counts of each result. */
export interface CheckSummary {
  ok: number;
  warning: number;
  error: number;
  skipped: number;
}
