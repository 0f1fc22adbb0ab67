import type { DeviceIdentity } from '../config/identity';
import type { DeviceConfig, LoadedConfig } from '../config/types';
import type { Evidence, Finding } from '../findings/types';

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
}

/**
 * What checks share. `state` is the blackboard: each check stores what later checks need under its own id
 * (e.g. `dps-dns` stores the EndpointReport), read back with {@link stateOf}.
 */
export interface CheckContext {
  loaded: LoadedConfig;
  config: DeviceConfig;
  identity?: DeviceIdentity;
  settings: RunSettings;
  state: Map<string, unknown>;
}

/** One diagnostic: a stable kebab-case id, a one-line title, its section, and what it needs first. */
export interface Check {
  id: string;
  title: string;
  section: Section;
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
  /** Set when the check threw: the error chain (message and code of each cause), for --verbose. */
  errorChain?: string[];
}

/** Counts of each result. */
export interface CheckSummary {
  ok: number;
  warning: number;
  error: number;
  skipped: number;
}

/** Reads what an earlier check stored. */
export function stateOf<T>(ctx: CheckContext, id: string): T | undefined {
  return ctx.state.get(id) as T | undefined;
}
