import type * as ProvisioningDevice from 'azure-iot-provisioning-device';
import type { DeviceRegistrationResult, RegistrationRequest } from 'azure-iot-provisioning-device';
import net from 'node:net';
import type { ConnectionSession } from '../connection/session';
import { proxyLabel } from '../connection/diagnose';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../connection/topic-guard';
import { cloudOf } from '../endpoint/clouds';
import type { EndpointReport } from '../endpoint/types';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { logger } from '../log';
import type { Deadline } from './deadline';
import type { DpsTransport } from './sdk-transport';

const log = logger('provision');

/** What DPS said last, read off the response topic before the SDK sees it. */
interface LastResponse {
  status?: number;
  retryAfterSeconds?: number;
}

/** The registration state DPS returned with status `assigned`. */
export interface Assignment {
  assignedHub: string;
  deviceId: string;
  payload?: unknown;
}

/** Inputs of {@link runRegistration}. */
export interface RegistrationRun {
  transport: DpsTransport;
  session: ConnectionSession;
  deadline: Deadline;
  request: RegistrationRequest;
  dps: EndpointReport;
  retry: { maxAttempts: number; baseDelayMs: number; jitter: number };
  last: LastResponse;
  onRegistering?: () => void;
}

/**
 * A diagnosed failure of the registration: the primary finding, the low-level cause, and findings that explain it
 * further (a documented private-endpoint limit behind a failed status).
 */
export class RegistrationFailure extends Error {
  constructor(
    readonly finding: Finding,
    override readonly cause: unknown,
    readonly related: Finding[] = [],
  ) {
    super(finding.message);
  }
}

/** Reads status and retry-after off a `$dps/registrations/res/<status>/?$rid=…&retry-after=…` topic. */
export function parseResponseTopic(topic: string): LastResponse | undefined {
  const m = /^\$dps\/registrations\/res\/(\d{3})\/\?(.*)$/.exec(topic);
  if (!m) return undefined;
  const q = new URLSearchParams(m[2]);
  const ra = q.get('retry-after');
  const out: LastResponse = { status: Number(m[1]) };
  if (ra !== null && Number.isFinite(Number(ra))) out.retryAfterSeconds = Number(ra);
  return out;
}

/**
 * Reads a DPS response before the SDK does: status and retry-after off the topic into `last`, and the body checked
 * as JSON — the SDK JSON.parses it unguarded, where an exception would be uncaught. Returns why the SDK must not see
 * it (an excerpt for DPS_MALFORMED_RESPONSE), or undefined when it may. The one screen every response passes.
 */
export function screenResponse(topic: string, payload: Buffer, last: LastResponse): string | undefined {
  const response = parseResponseTopic(topic);
  if (response) Object.assign(last, response);
  const text = payload.toString('ascii');
  if (nestsDeeperThan(text)) return `JSON nested more than ${MAX_JSON_DEPTH} levels deep`;
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    return payload.subarray(0, 40).toString('latin1');
  }
}

/**
 * How long to wait before polling an `assigning` operation. Decision: DPS's retry-after when it is a number >= 0 —
 * 0 included, as "poll again now" (the lab sends it to keep tests fast; each poll is still a full request/response
 * round trip, so this is not a busy loop) — and the SDK's own default of 2 s when retry-after is missing, negative or
 * not a number. Never negative or NaN, which setTimeout would turn into an immediate, tight polling loop.
 */
export const DEFAULT_POLL_MS = 2000;

/** retry-after in seconds when it is usable (a finite number >= 0), otherwise undefined. */
export function usableRetryAfter(seconds: number | undefined): number | undefined {
  return seconds !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** The wait before the next poll, from what DPS said (see {@link DEFAULT_POLL_MS}). */
export function pollDelayMs(retryAfterSeconds: number | undefined): number {
  const s = usableRetryAfter(retryAfterSeconds);
  return s !== undefined ? s * 1000 : DEFAULT_POLL_MS;
}

type Reply = { result: DeviceRegistrationResult; pollingInterval: number };

function call(run: RegistrationRun, operationId: string | undefined): Promise<Reply> {
  return run.deadline.race(
    new Promise<Reply>((resolve, reject) => {
      const cb = (
        err?: Error,
        result?: DeviceRegistrationResult,
        _response?: unknown,
        pollingInterval?: number,
      ): void => {
        if (err || !result) reject(err ?? new Error('empty response'));
        else resolve({ result, pollingInterval: pollingInterval ?? 2000 });
      };
      if (operationId) run.transport.queryOperationStatus(run.request, operationId, cb);
      else run.transport.registrationRequest(run.request, cb);
    }),
  );
}

const isUnauthorized = (err: unknown, last: LastResponse): boolean => {
  const e = err as { name?: string; code?: unknown; message?: string; transportError?: { code?: unknown } };
  return (
    last.status === 401 ||
    e?.name === 'UnauthorizedError' ||
    e?.code === 5 ||
    e?.code === 4 ||
    e?.transportError?.code === 5 ||
    /not authori[sz]ed|bad user name or password/i.test(e?.message ?? '')
  );
};

/** True for failures worth another attempt: the connection dropped (not a TLS or auth problem). */
const isTransient = (err: unknown, session: ConnectionSession): boolean => {
  const code = session.failure?.finding.code;
  if (code !== undefined && code !== 'TCP_UNREACHABLE' && code !== 'TCP_REFUSED') return false;
  const name = (err as { name?: string })?.name ?? '';
  return (
    /NotConnectedError|ServiceUnavailableError|InternalServerError|ThrottlingError|OperationCancelledError/.test(
      name,
    ) || /Connect was lost|closed|ECONNRESET/i.test((err as Error)?.message ?? '')
  );
};

/** Turns an SDK/transport error into the primary finding, using what the session and the response topics saw. */
export function diagnoseRegistrationError(
  err: unknown,
  run: Pick<RegistrationRun, 'session' | 'dps' | 'request' | 'last'>,
  step: string,
  attempts = 1,
): Finding {
  const { session, dps, request, last } = run;
  if (session.failure) return session.failure.finding;
  const body = errorBodyOf(err);
  if (isUnauthorized(err, last)) {
    const proxy = session.target.proxy;
    const address = session.tls?.remoteAddress ?? '';
    const info = dps.addresses.find((a) => a.address === address);
    // DPS's own words when it sent an error body (401002 "Invalid certificate.", 401000), else the transport's.
    const detail =
      body.errorCode !== undefined
        ? `errorCode ${body.errorCode}${body.message ? ` ${body.message}` : ''}`
        : (err as Error)?.message;
    if (proxy) {
      // The socket's remote address is the proxy's: where the proxy went is unknown, so no address is claimed.
      return createFinding('DPS_UNAUTHORIZED', {
        host: dps.host,
        proxy: proxyLabel(proxy),
        registrationId: request.registrationId ?? '',
        idScope: request.idScope,
        detail,
      });
    }
    if (info && !info.inExpectedRange) {
      return createFinding('DPS_UNAUTHORIZED_PUBLIC', {
        host: dps.host,
        address,
        expectedCidrs: dps.expectedCidrs,
        detail,
      });
    }
    return createFinding('DPS_UNAUTHORIZED', {
      host: dps.host,
      address,
      registrationId: request.registrationId ?? '',
      idScope: request.idScope,
      detail,
    });
  }
  const rejected = rejectedFinding(last.status, body, run, step, attempts);
  if (rejected) return rejected;
  const detail = (err as Error)?.message ?? String(err);
  return createFinding('DPS_CONNECTION_LOST', {
    host: dps.host,
    ...session.peerEvidence,
    step,
    detail: last.status ? `${detail} (last status ${last.status})` : detail,
  });
}

/** DPS's JSON error body, which the SDK's translateError keeps as `result`: only the fields we report. */
function errorBodyOf(err: unknown): { errorCode?: number; message?: string; trackingId?: string } {
  const result = (err as { result?: unknown } | undefined)?.result;
  if (typeof result !== 'object' || result === null) return {};
  const r = result as Record<string, unknown>;
  return {
    ...(typeof r['errorCode'] === 'number' ? { errorCode: r['errorCode'] } : {}),
    ...(typeof r['message'] === 'string' ? { message: r['message'].slice(0, 200) } : {}),
    ...(typeof r['trackingId'] === 'string' ? { trackingId: r['trackingId'].slice(0, 64) } : {}),
  };
}

/**
 * A request DPS answered with 3xx/4xx other than 401 and 429: its own finding (never DPS_CONNECTION_LOST): 400004
 * names the api-version and the cloud, 403, 404 (wrong ID scope or registration id), 409 (concurrent registration),
 * 412, any other as DPS_BAD_REQUEST.
 */
function rejectedFinding(
  status: number | undefined,
  body: ReturnType<typeof errorBodyOf>,
  run: Pick<RegistrationRun, 'dps' | 'request'>,
  step: string,
  attempts: number,
): Finding | undefined {
  if (status === undefined || status < 300 || status >= 429 || status === 401) return undefined;
  const evidence = {
    host: run.dps.host,
    registrationId: run.request.registrationId ?? '',
    step,
    status,
    ...body,
  };
  if (status === 400 && body.errorCode === 400004) {
    return createFinding('DPS_API_VERSION_UNSUPPORTED', {
      ...evidence,
      // Required here, not at the top: the SDK loads with the first registration (see sdk-transport.ts).
      apiVersion: (require('azure-iot-provisioning-device') as typeof ProvisioningDevice).ProvisioningDeviceConstants
        .apiVersion,
      cloud: cloudOf(run.dps.host) ?? 'unknown',
    });
  }
  switch (status) {
    case 403:
      return createFinding('DPS_FORBIDDEN', evidence);
    case 404:
      return createFinding('DPS_NOT_FOUND', { ...evidence, idScope: run.request.idScope });
    case 409:
      return createFinding('DPS_REGISTRATION_CONFLICT', { ...evidence, attempts });
    case 412:
      return createFinding('DPS_PRECONDITION_FAILED', evidence);
    default:
      return createFinding('DPS_BAD_REQUEST', evidence);
  }
}

/** The registration statuses DPS sends; anything else in well-formed JSON is DPS_UNEXPECTED_STATUS. */
type RegistrationState = {
  assignedHub?: unknown;
  deviceId?: unknown;
  payload?: unknown;
  errorCode?: number;
  errorMessage?: string;
};

/** The errorCodes of a failed status that are documented limits or misconfigurations with their own finding. */
const FAILURE_FINDINGS = {
  400207: 'DPS_CUSTOM_ALLOCATION_FAILED',
  400208: 'DPS_NO_HUB_LINKED',
  400209: 'DPS_HUB_REFUSED_DPS',
} as const;

/** DNS labels: letters, digits and inner hyphens, up to 63. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** IoT Hub device ids: 1-128 of these characters. */
const DEVICE_ID = /^[A-Za-z0-9\-.+%_#*?!(),:=@$']{1,128}$/;

/** The assigned hub as a host name (trailing dot dropped, lower case), or why it is not one. */
export function checkAssignedHub(value: unknown): { hub: string } | { problem: string } {
  if (typeof value !== 'string') return { problem: `a ${typeof value}, not a string` };
  const hub = value.toLowerCase().replace(/\.$/, '');
  if (hub.length === 0) return { problem: 'empty' };
  if (net.isIP(hub) || net.isIP(hub.replace(/^\[|\]$/g, ''))) return { problem: 'an IP address, not a host name' };
  if (hub.includes(':') || hub.includes('/')) return { problem: 'not a bare host name (a port, scheme or path)' };
  const labels = hub.split('.');
  if (labels.length < 3 || hub.length > 253 || labels.some((l) => !LABEL.test(l))) {
    return { problem: 'not a DNS name of the form <hub>.azure-devices.<suffix>' };
  }
  if (/^\d+$/.test(labels[labels.length - 1])) return { problem: 'a number, not a host name' };
  return { hub };
}

/** The assigned device id, or why IoT Hub would not accept it. */
export function checkDeviceId(value: unknown): { deviceId: string } | { problem: string } {
  if (typeof value !== 'string') return { problem: `a ${typeof value}, not a string` };
  if (!DEVICE_ID.test(value)) return { problem: "not 1-128 letters, digits and - . + % _ # * ? ! ( ) , : = @ $ '" };
  return { deviceId: value };
}

/** `assigned`: registrationState with a valid assignedHub and deviceId, each problem its own DPS-side finding. */
function assignment(run: RegistrationRun, result: DeviceRegistrationResult): Assignment {
  const state = (result as { registrationState?: RegistrationState }).registrationState;
  const malformed = (field: string): RegistrationFailure =>
    new RegistrationFailure(
      createFinding('DPS_MALFORMED_RESPONSE', {
        host: run.dps.host,
        topic: 'status assigned',
        excerpt: JSON.stringify(result).slice(0, 80),
        field,
      }),
      undefined,
    );
  if (typeof state !== 'object' || state === null) throw malformed('registrationState');
  if (state.assignedHub === undefined || state.assignedHub === null || state.assignedHub === '') {
    throw malformed('registrationState.assignedHub');
  }
  if (state.deviceId === undefined || state.deviceId === null || state.deviceId === '') {
    throw malformed('registrationState.deviceId');
  }
  const hub = checkAssignedHub(state.assignedHub);
  if ('problem' in hub) {
    throw new RegistrationFailure(
      createFinding('DPS_ASSIGNED_HUB_INVALID', {
        host: run.dps.host,
        assignedHub: JSON.stringify(state.assignedHub).slice(0, 120),
        problem: hub.problem,
      }),
      undefined,
    );
  }
  const device = checkDeviceId(state.deviceId);
  if ('problem' in device) {
    throw new RegistrationFailure(
      createFinding('DPS_DEVICE_ID_INVALID', {
        host: run.dps.host,
        deviceId: JSON.stringify(state.deviceId).slice(0, 160),
        problem: device.problem,
      }),
      undefined,
    );
  }
  return {
    assignedHub: hub.hub,
    deviceId: device.deviceId,
    ...(state.payload !== undefined ? { payload: state.payload } : {}),
  };
}

/** `failed`: DPS_REGISTRATION_FAILED with the errorCode's cause and fix, plus the limit's own finding when known. */
function failed(run: RegistrationRun, result: DeviceRegistrationResult): RegistrationFailure {
  const state = (result as { registrationState?: RegistrationState }).registrationState;
  const registrationId = run.request.registrationId ?? '';
  const evidence = {
    registrationId,
    ...(state?.errorCode !== undefined ? { errorCode: state.errorCode } : {}),
    ...(typeof state?.errorMessage === 'string' ? { errorMessage: state.errorMessage.slice(0, 300) } : {}),
  };
  const code = FAILURE_FINDINGS[Number(state?.errorCode) as keyof typeof FAILURE_FINDINGS];
  const related = code ? [createFinding(code, evidence)] : [];
  return new RegistrationFailure(createFinding('DPS_REGISTRATION_FAILED', evidence), undefined, related);
}

/**
 * Registers through the SDK transport with our own polling loop: every wait honours DPS's retry-after and our
 * deadline; 429/5xx and dropped connections are retried at most `retry.maxAttempts` times in total, with jitter;
 * `failed` becomes DPS_REGISTRATION_FAILED. Throws {@link RegistrationFailure} (or the deadline's stop reason).
 */
export async function runRegistration(run: RegistrationRun): Promise<Assignment> {
  const { deadline, retry, last } = run;
  let operationId: string | undefined;
  let attempts = 1;
  let conflictRetried = false;
  const backoff = (retryAfterSeconds: number | undefined): number => {
    const seconds = usableRetryAfter(retryAfterSeconds);
    const base = seconds !== undefined ? seconds * 1000 : retry.baseDelayMs * 2 ** (attempts - 2);
    return base * (1 + Math.random() * retry.jitter);
  };
  for (;;) {
    deadline.step = operationId ? 'polling' : 'registering';
    last.status = undefined;
    last.retryAfterSeconds = undefined;
    let reply: Reply;
    try {
      reply = await call(run, operationId);
    } catch (err) {
      if (deadline.stopped) throw deadline.stopped;
      // 409: another registration of this id was in progress; worth one more try after a pause, not more.
      if (last.status === 409 && !conflictRetried && attempts < retry.maxAttempts) {
        conflictRetried = true;
        attempts++;
        log('DPS answered 409, one retry in %s s', last.retryAfterSeconds);
        await deadline.sleep(backoff(last.retryAfterSeconds));
        continue;
      }
      if (isTransient(err, run.session) && !isUnauthorized(err, last) && attempts < retry.maxAttempts) {
        attempts++;
        log('attempt %d after %s', attempts, (err as Error)?.message);
        await deadline.sleep(backoff(undefined));
        continue;
      }
      throw new RegistrationFailure(diagnoseRegistrationError(err, run, deadline.step, attempts), err);
    }
    const status = last.status;
    if (status !== undefined && status >= 429) {
      if (attempts >= retry.maxAttempts) {
        // 429 is DPS protecting its quota; 5xx is DPS failing: different causes, different advice.
        const evidence = {
          host: run.dps.host,
          attempts,
          lastStatus: status,
          retryAfterSeconds: last.retryAfterSeconds,
        };
        throw new RegistrationFailure(
          createFinding(status >= 500 ? 'DPS_SERVER_ERROR' : 'DPS_THROTTLED', evidence),
          undefined,
        );
      }
      attempts++;
      log('DPS answered %d, retry %d in %s s', status, attempts, last.retryAfterSeconds);
      await deadline.sleep(backoff(last.retryAfterSeconds));
      continue;
    }
    const result = reply.result as DeviceRegistrationResult | null;
    // Only a finding quotes the reply: not serialised on the healthy path.
    const excerpt = (): string => JSON.stringify(result).slice(0, 80);
    const answered =
      typeof result === 'object' && result !== null ? (result as { status?: unknown }).status : undefined;
    if (typeof answered !== 'string') {
      throw new RegistrationFailure(
        createFinding('DPS_MALFORMED_RESPONSE', {
          host: run.dps.host,
          topic: deadline.step,
          excerpt: excerpt(),
          field: 'status',
        }),
        undefined,
      );
    }
    const evidence = { host: run.dps.host, registrationId: run.request.registrationId ?? '' };
    switch (answered.toLowerCase()) {
      case 'assigned':
        return assignment(run, result!);
      case 'assigning': {
        const id = (result as { operationId?: unknown }).operationId;
        if (typeof id !== 'string' || id.length === 0) {
          throw new RegistrationFailure(
            createFinding('DPS_MALFORMED_RESPONSE', {
              host: run.dps.host,
              topic: 'status assigning',
              excerpt: excerpt(),
              field: 'operationId',
            }),
            undefined,
          );
        }
        operationId = id;
        // DPS told us when to come back: no jitter, so a healthy run is exactly as fast as the plain SDK. Read off the
        // topic ourselves: the SDK passes retry-after * 1000 through unchecked (negative, NaN).
        await deadline.sleep(pollDelayMs(last.retryAfterSeconds));
        continue;
      }
      case 'failed':
        throw failed(run, result!);
      case 'disabled':
        throw new RegistrationFailure(createFinding('DPS_ENROLLMENT_DISABLED', evidence), undefined);
      case 'unassigned':
        throw new RegistrationFailure(createFinding('DPS_REGISTRATION_UNASSIGNED', evidence), undefined);
      default:
        // Well-formed JSON with a status we do not know: never reported as "not valid JSON".
        throw new RegistrationFailure(
          createFinding('DPS_UNEXPECTED_STATUS', {
            host: run.dps.host,
            status: answered.slice(0, 60),
            excerpt: excerpt(),
          }),
          undefined,
        );
    }
  }
}
