import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'azure-iot-device';
import { describe, isInCidrs, parseCidrs } from '../endpoint/address';
import type { EndpointReport, Policy, Verdict } from '../endpoint/types';
import { InvalidOptionError } from '../errors';
import { createFinding } from '../findings/finding';
import type { Finding, Severity } from '../findings/types';
import { logger } from '../log';
import type { ProvisioningResult, TransportName } from '../provision/types';
import { delay, MAX_DELAY_MS, within } from '../support/abort';
import { writeFileAtomic } from '../support/atomic-write';
import { BoundedMap } from '../support/bounded-map';
import { hubClientClosed, hubConnectionTls } from './hub-client';
import { hubClientFindings } from './reverify';

const log = logger('handoff');

/** Version of {@link PostureDocument}'s shape; a query can select on it when the shape changes. */
export const POSTURE_SCHEMA = 1;

/**
 * The size budget of the reported document, in bytes of JSON: far below the twin's 32 KB for reported properties,
 * so the application keeps the rest. The document is built to stay inside it (findings beyond 24 codes are counted,
 * not listed).
 */
export const POSTURE_MAX_BYTES = 2048;

/** Findings listed by code at most; more are counted in `findingsOmitted`, errors listed first. */
const MAX_LISTED_FINDINGS = 24;
/** Resolvers listed per endpoint at most (primary first). */
const MAX_LISTED_RESOLVERS = 3;

/** One endpoint as the posture reports it: how it resolved, where the device went, what TLS it got. */
export interface PostureEndpoint {
  /** The DPS or hub name. */
  host: string;
  /** How DNS answered against the expected ranges (`private-in-vnet`, `private-outside-vnet`, `public`, …). */
  verdict: Verdict;
  /**
   * The address the TLS connection went to (the proxy's when tunnelling). Absent when nothing was dialled: DPS when
   * the assignment came from the cache.
   */
  address?: string;
  /** Whether `address` is inside the expected ranges. Absent with `address`. */
  inRange?: boolean;
  /** The resolvers asked, primary first, at most 3, space-separated (`system` = the system resolver). */
  resolvers: string;
  /** TLS protocol negotiated, e.g. `TLSv1.2` (DPS: of the cached registration when `fromCache`). */
  tls?: string;
  /** TLS cipher negotiated, e.g. `ECDHE-RSA-AES256-GCM-SHA384`. */
  cipher?: string;
}

/**
 * The reported property a device writes: compact, versioned and free of secrets (names, addresses, verdicts and
 * finding codes only — never a key, certificate, token, passphrase, proxy credential or finding evidence). Objects
 * and scalars only, so every field can be queried; see the README's "Fleet posture in device twins".
 */
export interface PostureDocument {
  /** {@link POSTURE_SCHEMA}. */
  schema: number;
  /** When it was written (ISO). Not part of the change digest: an unchanged posture is not re-sent at each boot. */
  at: string;
  /** Version of dps-private-link that wrote it. */
  lib: string;
  /** The network policy provisioning ran under. */
  policy: Policy;
  transport: TransportName;
  /** An HTTP CONNECT proxy is in the path (never its address or credentials). */
  proxy: boolean;
  /** The assignment came from the local cache (DPS not contacted). */
  fromCache: boolean;
  /** The hub refused the cached identity and the device provisioned again (a stale cache). */
  reprovisioned: boolean;
  dps: PostureEndpoint;
  hub: PostureEndpoint;
  /** Finding code → severity, for the findings of provisioning and of the hub client (codes only). */
  findings: Record<string, Severity>;
  /** How many finding codes did not fit in `findings` (0 normally). */
  findingsOmitted: number;
  /** Number of error-severity finding codes (listed or not). */
  errors: number;
  /** Number of warning-severity finding codes (listed or not). */
  warnings: number;
  /** DNS answer changes (DNS_ANSWER_CHANGED) this process has seen for this device's endpoints. */
  dnsChanges: number;
}

/** Options of {@link reportPosture}. */
export interface PostureOptions {
  /**
   * The reported property's name: a valid twin property name (no `.`, `$`, space, control character; at most 1 KB).
   * Default `privateLink`.
   */
  propertyName?: string;
  /** Attempts in total, an integer 1-10. Default 4. */
  maxAttempts?: number;
  /** Milliseconds before the first retry, doubled after each (0-600000). Default 2000. */
  baseDelayMs?: number;
  /** Milliseconds one attempt (twin GET + PATCH) may take (1-600000). Default 15000. */
  attemptTimeoutMs?: number;
  /**
   * File keeping the digest of the last posture written, so a restart does not re-send an unchanged one (mode 0600,
   * written atomically). Default: memory only (this process). connectDevice uses `<cache.path>.posture` when a cache
   * path is given.
   */
  digestPath?: string;
  /**
   * The device provisioned again because the hub refused its cached identity. Default: what connectDevice saw for
   * this result, else false.
   */
  reprovisioned?: boolean;
  /** The address the DPS connection went to. Default: what connectDevice saw for this result (from its progress). */
  dpsAddress?: string;
  /** Stops retrying: the report ends as not sent. */
  signal?: AbortSignal;
}

/** How {@link reportPosture} ended. It never rejects for a hub or network failure: that is `failed`, with a finding. */
export interface PostureReport {
  /** `sent`: the hub accepted it; `unchanged`: same as the last one written, nothing sent; `failed`: see findings. */
  status: 'sent' | 'unchanged' | 'failed';
  /** The document (what was, or would have been, written). */
  document: PostureDocument;
  /** Its size in bytes of JSON. */
  bytes: number;
  /** The property it is reported under. */
  propertyName: string;
  /** Attempts made (0 when unchanged). */
  attempts: number;
  /** HUB_POSTURE_NOT_REPORTED (warning) when `failed`; else empty. */
  findings: Finding[];
}

/** {@link PostureOptions} checked at the door. */
export interface ResolvedPostureOptions {
  propertyName: string;
  maxAttempts: number;
  baseDelayMs: number;
  attemptTimeoutMs: number;
  digestPath?: string;
  reprovisioned?: boolean;
  dpsAddress?: string;
  signal?: AbortSignal;
}

const DEFAULTS = { propertyName: 'privateLink', maxAttempts: 4, baseDelayMs: 2000, attemptTimeoutMs: 15_000 };
const MAX_WAIT_MS = 600_000;

/**
 * Validates {@link PostureOptions}, naming the option at fault (`<prefix>propertyName`, …).
 * @throws InvalidOptionError
 */
export function resolvePostureOptions(options: unknown, prefix = 'options.'): ResolvedPostureOptions {
  if (options === undefined) return { ...DEFAULTS };
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new InvalidOptionError(
      prefix.slice(0, -1) || 'options',
      `expected an object, got ${describe(options)}`,
      'Pass { propertyName?, maxAttempts?, … } or leave it out.',
    );
  const o = options as Record<string, unknown>;
  const name = o.propertyName ?? DEFAULTS.propertyName;
  const nameProblem = twinPropertyNameProblem(name);
  if (nameProblem)
    throw new InvalidOptionError(
      `${prefix}propertyName`,
      nameProblem,
      "Use a name such as 'privateLink': letters, digits, '_' or '-'.",
    );
  const int = (key: string, min: number, max: number, fallback: number): number => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new InvalidOptionError(
        `${prefix}${key}`,
        `${describe(v)} is not an integer from ${min} to ${max}`,
        `Use ${min}-${max} (default ${fallback}).`,
      );
    return v;
  };
  const resolved: ResolvedPostureOptions = {
    propertyName: name as string,
    maxAttempts: int('maxAttempts', 1, 10, DEFAULTS.maxAttempts),
    baseDelayMs: int('baseDelayMs', 0, MAX_WAIT_MS, DEFAULTS.baseDelayMs),
    attemptTimeoutMs: int('attemptTimeoutMs', 1, MAX_WAIT_MS, DEFAULTS.attemptTimeoutMs),
  };
  if (o.reprovisioned !== undefined) {
    if (typeof o.reprovisioned !== 'boolean')
      throw new InvalidOptionError(
        `${prefix}reprovisioned`,
        `expected true or false, got ${describe(o.reprovisioned)}`,
        'Pass a boolean or leave it out.',
      );
    resolved.reprovisioned = o.reprovisioned;
  }
  for (const key of ['digestPath', 'dpsAddress'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '' || v.includes('\0'))
      throw new InvalidOptionError(
        `${prefix}${key}`,
        `expected a non-empty string, got ${describe(v)}`,
        'Pass a string or leave it out.',
      );
    resolved[key] = v;
  }
  if (o.signal !== undefined) {
    if (!(o.signal instanceof AbortSignal))
      throw new InvalidOptionError(
        `${prefix}signal`,
        `expected an AbortSignal, got ${describe(o.signal)}`,
        'Pass AbortController.signal or leave it out.',
      );
    resolved.signal = o.signal;
  }
  return resolved;
}

/**
 * IoT Hub's rule for twin property names: no `.`, `$`, space or control character (C0, C1), 1 byte to 1 KB of UTF-8.
 * (The lab hub checks the same rule on its own: a client bug must not be hidden by sharing it.)
 */
function twinPropertyNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `expected a string, got ${describe(name)}`;
  // eslint-disable-next-line no-control-regex
  if (name === '' || /[.$ \u0000-\u001f\u007f-\u009f]/.test(name))
    return `${JSON.stringify(name.slice(0, 64))} is not a twin property name (no '.', '$', space or control character)`;
  if (Buffer.byteLength(name) > 1024) return 'a twin property name is at most 1024 bytes';
  return undefined;
}

/**
 * Writes the device's private-link posture to one reported property of its twin (default `privateLink`): built from
 * the provisioning result and the open hub client, sent only when it differs from the last one written (a digest,
 * without the time), retried with back-off (`maxAttempts`, doubling from `baseDelayMs`). Runs beside telemetry on the
 * same connection and never blocks it; never rejects for a hub or network failure — that ends as `failed` with a
 * HUB_POSTURE_NOT_REPORTED warning.
 *
 * @param client - An open client from createHubClient / connectDevice.
 * @param result - The provisioning result the client was built from.
 * @throws InvalidOptionError (rejects) for an option of the wrong type or an invalid property name.
 */
export async function reportPosture(
  client: Client,
  result: ProvisioningResult,
  options?: PostureOptions,
): Promise<PostureReport> {
  const o = resolvePostureOptions(options);
  if (!client || typeof (client as Partial<Client>).getTwin !== 'function')
    throw new InvalidOptionError(
      'client',
      `expected an azure-iot-device Client, got ${describe(client)}`,
      'Pass the client connectDevice or createHubClient returned.',
    );
  if (!result || typeof result !== 'object' || !result.dps || !result.hub || !Array.isArray(result.findings))
    throw new InvalidOptionError(
      'result',
      `expected the result of provisionDevice, got ${describe(result)}`,
      'Pass the result the client was built from.',
    );
  const previous = running.get(client) ?? Promise.resolve();
  const run = previous.then(() => report(client, result, o));
  running.set(client, run);
  return run;
}

/** What connectDevice saw of a result that the result itself does not hold. */
interface ConnectionFacts {
  dpsAddress?: string;
  reprovisioned: boolean;
}
const facts = new WeakMap<ProvisioningResult, ConnectionFacts>();

/**
 * Records, for later reports on `result`, what connectDevice saw: the DPS address dialled and whether it
 * re-provisioned. Without it a report made by the app after connectDevice would differ from connectDevice's own.
 */
export function noteConnection(result: ProvisioningResult, seen: ConnectionFacts): void {
  facts.set(result, { ...seen });
}

/** One report at a time per client: two at once would race on the digest and on the PATCH order. */
const running = new WeakMap<Client, Promise<unknown>>();

async function report(client: Client, result: ProvisioningResult, o: ResolvedPostureOptions): Promise<PostureReport> {
  const document = buildPosture(client, result, o);
  const bytes = Buffer.byteLength(JSON.stringify(document));
  const base = { document, bytes, propertyName: o.propertyName };
  const key = `${result.assignedHub}|${result.deviceId}|${o.propertyName}`;
  const digest = postureDigest(document);
  if (readDigest(key, o.digestPath) === digest) return { ...base, status: 'unchanged', attempts: 0, findings: [] };
  let attempts = 0;
  let lastError = '';
  while (attempts < o.maxAttempts && !o.signal?.aborted && !hubClientClosed(client)) {
    if (attempts > 0 && !(await pause(o.baseDelayMs * 2 ** (attempts - 1), o.signal))) break;
    // Closed while waiting: a twin call now would make the SDK open the connection again.
    if (hubClientClosed(client)) break;
    attempts++;
    try {
      await writeOnce(client, o, document);
      writeDigest(key, digest, o.digestPath);
      log('posture of %s reported as %s (%d bytes)', result.deviceId, o.propertyName, bytes);
      return { ...base, status: 'sent', attempts, findings: [] };
    } catch (err) {
      lastError = (err as Error)?.message ?? String(err);
      log('posture of %s: attempt %d failed: %s', result.deviceId, attempts, lastError);
    }
  }
  const finding = createFinding('HUB_POSTURE_NOT_REPORTED', {
    hub: result.assignedHub,
    deviceId: result.deviceId,
    property: o.propertyName,
    attempts,
    detail: hubClientClosed(client)
      ? `the client was closed${lastError ? ` (last error: ${lastError})` : ''}`
      : lastError || 'stopped before the first attempt',
  });
  return { ...base, status: 'failed', attempts, findings: [finding] };
}

/** Waits before a retry; false when the signal fired (stop retrying). */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await delay(Math.min(ms, MAX_WAIT_MS), signal, 'retrying the posture report');
    return true;
  } catch {
    return false;
  }
}

/** One attempt: GET the twin (to clear fields the last writer left), then PATCH, each within the attempt's time. */
async function writeOnce(client: Client, o: ResolvedPostureOptions, document: PostureDocument): Promise<void> {
  const deadline = Date.now() + o.attemptTimeoutMs;
  const twin = await bounded(client.getTwin(), deadline, 'getting the twin', o.signal);
  if (hubClientClosed(client)) throw new Error('the client was closed');
  const current = (twin.properties?.reported as Record<string, unknown> | undefined)?.[o.propertyName];
  const patch = { [o.propertyName]: mergePatchFor(current, document as unknown as Record<string, unknown>) };
  await bounded(
    new Promise<void>((resolve, reject) =>
      twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())),
    ),
    deadline,
    'updating the reported properties',
    o.signal,
  );
}

/** `promise` within the attempt's deadline; a fired signal ends the wait at once (AbortedError). */
async function bounded<T>(promise: Promise<T>, deadline: number, step: string, signal?: AbortSignal): Promise<T> {
  const ms = Math.max(1, deadline - Date.now());
  const outcome = await within(promise, Math.min(ms, MAX_DELAY_MS), signal, step);
  if (outcome === 'timeout') throw new Error(`no answer ${step} within ${ms} ms`);
  return outcome;
}

/**
 * The merge patch that turns `current` (what the twin holds) into `next`: twins merge patches, so a field the last
 * posture had and this one lacks (a finding that went away) must be sent as null to be removed.
 */
function mergePatchFor(current: unknown, next: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const old = isPlainObject(current) ? current : {};
  for (const key of Object.keys(old)) if (!(key in next) && !key.startsWith('$')) patch[key] = null;
  for (const [key, value] of Object.entries(next)) {
    patch[key] = isPlainObject(value) ? mergePatchFor(old[key], value) : value;
  }
  return patch;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** sha256 of the document without its time, in a key order that does not depend on how it was built. */
export function postureDigest(document: PostureDocument): string {
  const { at: _at, ...rest } = document;
  return createHash('sha256').update(canonical(rest)).digest('hex');
}

function canonical(v: unknown): string {
  if (!isPlainObject(v)) return JSON.stringify(v);
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
    .join(',')}}`;
}

/**
 * Devices whose posture state this process keeps in memory. A gateway serving more devices over its life forgets the
 * one it heard from longest ago: its posture is then read back from its digest file (or re-sent without one) and its
 * DNS-change count restarts — a few hundred bytes per device, so 10,000 cost ~3 MB at most.
 */
const MAX_DEVICES = 10_000;

/** Digests of postures written by this process, by hub, device and property. */
const written = new BoundedMap<string, string>(MAX_DEVICES);

function readDigest(key: string, file: string | undefined): string | undefined {
  if (written.has(key)) return written.get(key);
  if (!file) return undefined;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown; digest?: unknown };
    return stored.key === key && typeof stored.digest === 'string' ? stored.digest : undefined;
  } catch {
    return undefined; // none yet, or unreadable: sending again is the safe side
  }
}

function writeDigest(key: string, digest: string, file: string | undefined): void {
  written.set(key, digest);
  if (!file) return;
  try {
    writeFileAtomic(file, `${JSON.stringify({ schema: POSTURE_SCHEMA, key, digest })}\n`, { mode: 0o600 });
  } catch (err) {
    // Only costs a re-send after the next restart.
    log('cannot keep the posture digest in %s: %s', file, (err as Error)?.message ?? String(err));
  }
}

/** DNS_ANSWER_CHANGED findings this process has counted, so a finding seen by two reports counts once. */
const countedChanges = new WeakSet<Finding>();
const changesByDevice = new BoundedMap<string, number>(MAX_DEVICES);

function countDnsChanges(key: string, findings: readonly Finding[]): number {
  let n = changesByDevice.get(key) ?? 0;
  for (const f of findings) {
    if (f.code !== 'DNS_ANSWER_CHANGED' || countedChanges.has(f)) continue;
    countedChanges.add(f);
    n++;
  }
  changesByDevice.set(key, n);
  return n;
}

let libraryVersion: string | undefined;

/** package.json is two levels up both from dist/handoff (installed) and from src/handoff (a clone under tsx). */
function lib(): string {
  if (libraryVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
        version?: unknown;
      };
      libraryVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      libraryVersion = 'unknown';
    }
  }
  return libraryVersion;
}

/** The posture of `client` and `result` now (exported for tests and for callers who only want to look). */
export function buildPosture(client: Client, result: ProvisioningResult, o: ResolvedPostureOptions): PostureDocument {
  const all = [...result.findings, ...hubClientFindings(client)];
  const hubTls = hubConnectionTls(client);
  const findings = summariseFindings(all);
  const seen = facts.get(result);
  const dialledDps = result.fromCache ? undefined : (o.dpsAddress ?? seen?.dpsAddress);
  return {
    schema: POSTURE_SCHEMA,
    at: new Date().toISOString(),
    lib: lib(),
    policy: result.dps.policy,
    transport: result.transport,
    proxy: all.some((f) => f.code === 'PROXY_IN_PATH'),
    fromCache: result.fromCache,
    reprovisioned: o.reprovisioned ?? seen?.reprovisioned ?? false,
    dps: endpoint(result.dps, dialledDps, result.tls),
    hub: endpoint(result.hub, hubTls?.remoteAddress, hubTls),
    ...findings,
    dnsChanges: countDnsChanges(`${result.assignedHub}|${result.deviceId}`, all),
  };
}

function endpoint(
  report: EndpointReport,
  address: string | undefined,
  tls: { protocol: string; cipher: string } | undefined,
): PostureEndpoint {
  const out: PostureEndpoint = {
    host: report.host,
    verdict: report.verdict,
    resolvers: [...new Set(report.trace.map((t) => t.resolver))].slice(0, MAX_LISTED_RESOLVERS).join(' '),
  };
  if (address) {
    out.address = address;
    out.inRange = isInCidrs(address, parseCidrs(report.expectedCidrs, 'expectedCidrs'));
  }
  if (tls && tls.protocol !== 'unknown') {
    out.tls = tls.protocol;
    out.cipher = tls.cipher;
  }
  return out;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Codes with their worst severity, errors first, at most {@link MAX_LISTED_FINDINGS}. */
function summariseFindings(
  all: readonly Finding[],
): Pick<PostureDocument, 'findings' | 'findingsOmitted' | 'errors' | 'warnings'> {
  const worst = new Map<string, Severity>();
  for (const f of all) {
    const seen = worst.get(f.code);
    if (!seen || RANK[f.severity] < RANK[seen]) worst.set(f.code, f.severity);
  }
  const sorted = [...worst].sort((a, b) => RANK[a[1]] - RANK[b[1]] || a[0].localeCompare(b[0]));
  const listed = sorted.slice(0, MAX_LISTED_FINDINGS);
  return {
    findings: Object.fromEntries(listed),
    findingsOmitted: sorted.length - listed.length,
    errors: sorted.filter(([, s]) => s === 'error').length,
    warnings: sorted.filter(([, s]) => s === 'warning').length,
  };
}
