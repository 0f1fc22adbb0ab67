import type { DeviceRegistrationResult, RegistrationRequest } from 'azure-iot-provisioning-device';
import type { ConnectionSession } from '../connection/session';
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

/** A diagnosed failure of the registration: the primary finding and the low-level cause. */
export class RegistrationFailure extends Error {
  constructor(
    readonly finding: Finding,
    override readonly cause: unknown,
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
  if (session.failure && session.failure.finding.code !== 'TCP_UNREACHABLE') return false;
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
): Finding {
  const { session, dps, request, last } = run;
  if (session.failure) return session.failure.finding;
  if (isUnauthorized(err, last)) {
    const address = session.tls?.remoteAddress ?? '';
    const info = dps.addresses.find((a) => a.address === address);
    const detail = (err as Error)?.message;
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
  const detail = (err as Error)?.message ?? String(err);
  return createFinding('DPS_CONNECTION_LOST', {
    host: dps.host,
    address: session.tls?.remoteAddress,
    step,
    detail: last.status ? `${detail} (last status ${last.status})` : detail,
  });
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
      if (isTransient(err, run.session) && !isUnauthorized(err, last) && attempts < retry.maxAttempts) {
        attempts++;
        log('attempt %d after %s', attempts, (err as Error)?.message);
        await deadline.sleep(backoff(undefined));
        continue;
      }
      throw new RegistrationFailure(diagnoseRegistrationError(err, run, deadline.step), err);
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
    const state = (
      reply.result as {
        registrationState?: {
          assignedHub?: string;
          deviceId?: string;
          payload?: unknown;
          errorCode?: number;
          errorMessage?: string;
        };
      }
    ).registrationState;
    switch (String(reply.result.status).toLowerCase()) {
      case 'assigned':
        if (!state?.assignedHub || !state.deviceId) {
          throw new RegistrationFailure(
            createFinding('DPS_MALFORMED_RESPONSE', {
              host: run.dps.host,
              topic: 'assigned',
              excerpt: JSON.stringify(reply.result).slice(0, 80),
            }),
            undefined,
          );
        }
        return {
          assignedHub: state.assignedHub,
          deviceId: state.deviceId,
          ...(state.payload !== undefined ? { payload: state.payload } : {}),
        };
      case 'assigning':
        operationId = reply.result.operationId;
        // DPS told us when to come back: no jitter, so a healthy run is exactly as fast as the plain SDK. Read off the
        // topic ourselves: the SDK passes retry-after * 1000 through unchecked (negative, NaN).
        await deadline.sleep(pollDelayMs(last.retryAfterSeconds));
        continue;
      case 'failed':
        throw new RegistrationFailure(
          createFinding('DPS_REGISTRATION_FAILED', {
            registrationId: run.request.registrationId ?? '',
            errorCode: state?.errorCode,
            errorMessage: state?.errorMessage,
          }),
          undefined,
        );
      default:
        throw new RegistrationFailure(
          createFinding('DPS_MALFORMED_RESPONSE', {
            host: run.dps.host,
            topic: `status ${String(reply.result.status)}`,
            excerpt: JSON.stringify(reply.result).slice(0, 80),
          }),
          undefined,
        );
    }
  }
}
