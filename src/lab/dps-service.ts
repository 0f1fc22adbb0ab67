import crypto from 'node:crypto';
import { logger } from '../log';
import type { LabClock } from './clock';
import { GROUP_IDS, type Enrollment, type Enrollments, type HubIdentity } from './enrollments';
import type { FaultTable } from './faults';
import type { PeerInfo } from './mqtt-listener';
import type { LabCounters, LabFault } from './types';

const log = logger('lab:dps');

/** What DPS does when it changes at run time ({@link LabHandle.setBehaviour}). */
export interface DpsBehaviour {
  badCredentials: 'after-connack' | 'connack';
  responseQueryOrder: 'rid-first' | 'retry-after-first';
  apiVersions: string[];
}

/** What the DPS simulator needs from the lab, whatever the protocol (MQTT, MQTT-WS, REST). */
export interface DpsContext {
  idScope: string;
  hubHost: string;
  retryAfterSeconds: number;
  enrollments: Enrollments;
  faults: FaultTable;
  counters: LabCounters;
  /** The lab clock: registrationState and error timestamps. */
  clock: LabClock;
  behaviour: DpsBehaviour;
  /** DPS created/updated the device in the hub registry. */
  assign(deviceId: string, identity: HubIdentity): void;
}

/**
 * Who a caller is once DPS has looked at its credentials: `ok`, `unauthorized` (well-formed but not accepted: every
 * request gets 401 with this errorCode), or `disabled` (good credentials, disabled enrollment or group).
 */
export type Caller =
  | { kind: 'ok'; enrollment: Enrollment; identity: HubIdentity }
  | { kind: 'unauthorized'; registrationId: string; errorCode: number; message: string }
  | { kind: 'disabled'; enrollment: Enrollment };

/** A CONNECT or a REST request authenticated: the caller, or (MQTT only) the CONNACK code that refuses it. */
export type Admission = { kind: 'refuse'; returnCode: number } | Caller;

/** One register or poll, whichever protocol carried it. */
export interface DpsRequest {
  kind: 'register' | 'poll';
  /** The api-version the client named (MQTT username, REST query). */
  apiVersion: string | undefined;
  operationId?: string;
  /** The request body (register). */
  body?: string;
}

/** What DPS does with a request: answer it (a string body is sent as is), say nothing, or drop the connection. */
export type DpsOutcome =
  { action: 'answer'; status: number; body: unknown; retryAfter?: number } | { action: 'silent' } | { action: 'drop' };

/** A registration in progress or done. */
interface Operation {
  operationId: string;
  enrollment: Enrollment;
  identity: HubIdentity;
  createdDateTimeUtc: string;
  payload?: unknown;
}

/** Default errorCodes of DPS's error body per status, as the SDK fixtures and field reports show them. */
const DEFAULT_ERROR_CODES: Record<number, number> = {
  400: 400004,
  401: 401002,
  404: 404201,
  409: 409203,
  412: 412002,
  429: 429001,
};

/** The DPS service: authentication, register → assigning → assigned/failed, errors with DPS's body shape. */
export class DpsService {
  private readonly operations = new Map<string, Operation>();

  constructor(private readonly ctx: DpsContext) {}

  /** Authenticate `registrationId` by SAS `password` or the TLS client certificate, as the behaviour says. */
  admit(registrationId: string, password: string | undefined, peer: PeerInfo): Admission {
    const { ctx } = this;
    const result = ctx.enrollments.authenticate(registrationId, password, peer);
    if (result.ok) return { kind: 'ok', enrollment: result.enrollment, identity: result.identity };
    const connackMode = ctx.behaviour.badCredentials === 'connack';
    if (result.kind === 'inconsistent' || connackMode) {
      ctx.counters.refused++;
      log('refusing CONNECT for %s: %s', registrationId, result.reason);
      return { kind: 'refuse', returnCode: 5 };
    }
    log('accepting %s to answer 401 / disabled: %s', registrationId, result.reason);
    if (result.kind === 'disabled') return { kind: 'disabled', enrollment: result.enrollment };
    return { kind: 'unauthorized', registrationId, errorCode: result.errorCode, message: result.message };
  }

  /** Answer one register or poll from `caller`. */
  handle(caller: Caller, request: DpsRequest): DpsOutcome {
    const { ctx } = this;
    if (request.kind === 'register') ctx.counters.registrations++;
    else ctx.counters.polls++;
    const error = (status: number, errorCode: number, message: string): DpsOutcome => ({
      action: 'answer',
      status,
      body: dpsErrorBody(errorCode, message, ctx.clock.iso()),
    });
    if (request.apiVersion === undefined || !ctx.behaviour.apiVersions.includes(request.apiVersion)) {
      return error(400, 400004, `The api-version '${request.apiVersion ?? ''}' is not supported.`);
    }
    if (caller.kind === 'unauthorized') {
      ctx.counters.unauthorized++;
      return error(401, caller.errorCode, caller.message);
    }
    const registrationId = caller.enrollment.registrationId;
    const fault = this.fault(registrationId, request);
    if (fault) return fault;
    if (caller.kind === 'disabled') {
      // DPS's answer for a disabled enrollment or group: 200, empty operationId, status only.
      return {
        action: 'answer',
        status: 200,
        body: { operationId: '', status: 'disabled', registrationState: { registrationId, status: 'disabled' } },
      };
    }
    if (request.kind === 'register') return this.register(caller, request.body ?? '');
    return this.poll(registrationId, request.operationId ?? '');
  }

  /** The protocol fault armed for this registration, if one fires. */
  private fault(registrationId: string, request: DpsRequest): DpsOutcome | undefined {
    const { ctx } = this;
    const fault = ctx.faults.take(registrationId, [
      'throttle',
      'server-error',
      'error-status',
      'never-answer',
      'malformed-json',
      ...(request.kind === 'poll' ? (['drop-mid-poll'] as const) : []),
    ]);
    if (!fault) return undefined;
    log('fault %s for %s', fault.kind, registrationId);
    const body = (errorCode: number, message: string): Record<string, unknown> =>
      dpsErrorBody(errorCode, message, ctx.clock.iso());
    switch (fault.kind) {
      case 'throttle':
        return {
          action: 'answer',
          status: 429,
          body: body(429001, 'Operations are being throttled for this tenant.'),
          retryAfter: fault.retryAfterSeconds ?? ctx.retryAfterSeconds,
        };
      case 'server-error': {
        const status = fault.status ?? 500;
        return {
          action: 'answer',
          status,
          body: body(status * 1000 + 1, 'Internal server error.'),
          retryAfter: ctx.retryAfterSeconds,
        };
      }
      case 'error-status': {
        const errorCode =
          fault.errorCode ??
          (fault.status === 404 && request.kind === 'poll' ? 404202 : undefined) ??
          DEFAULT_ERROR_CODES[fault.status] ??
          fault.status * 1000 + 1;
        const retryAfter = fault.status === 429 || fault.status >= 500 ? ctx.retryAfterSeconds : undefined;
        return {
          action: 'answer',
          status: fault.status,
          body: body(errorCode, fault.message ?? `Lab fault: status ${fault.status}.`),
          ...(retryAfter !== undefined ? { retryAfter } : {}),
        };
      }
      case 'never-answer':
        return { action: 'silent' };
      case 'malformed-json':
        return {
          action: 'answer',
          status: request.kind === 'register' ? 202 : 200,
          body: '{"operationId": "4.lab.truncated", "status": "assign',
        };
      case 'drop-mid-poll':
        return { action: 'drop' };
    }
  }

  /** A register request: check the body, open an operation and answer 202 assigning. */
  private register(caller: Extract<Caller, { kind: 'ok' }>, text: string): DpsOutcome {
    const { ctx } = this;
    const registrationId = caller.enrollment.registrationId;
    const error = (errorCode: number, message: string): DpsOutcome => ({
      action: 'answer',
      status: 400,
      body: dpsErrorBody(errorCode, message, ctx.clock.iso()),
    });
    let body: { registrationId?: unknown; payload?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return error(400001, 'The request body is not valid JSON.');
    }
    if (typeof body !== 'object' || body === null || body.registrationId !== registrationId) {
      return error(400001, `registrationId in the body must be "${registrationId}".`);
    }
    const operationId = `4.${crypto.randomBytes(8).toString('hex')}.${crypto.randomUUID()}`;
    this.operations.set(operationId, {
      operationId,
      enrollment: caller.enrollment,
      identity: caller.identity,
      createdDateTimeUtc: ctx.clock.iso(),
      payload: body.payload,
    });
    const oversized = ctx.faults.take(registrationId, ['oversized-payload']);
    const padding = oversized ? { padding: 'x'.repeat(oversized.bytes ?? 1024 * 1024) } : {};
    const answer = this.patch(registrationId, 'register', { operationId, status: 'assigning', ...padding });
    return { action: 'answer', status: 202, body: answer, retryAfter: ctx.retryAfterSeconds };
  }

  /** A poll of `operationId`: 404 when unknown; else failed (enrollment or fault), a status fault, or assigned. */
  private poll(registrationId: string, operationId: string): DpsOutcome {
    const { ctx } = this;
    const op = this.operations.get(operationId);
    if (!op || op.enrollment.registrationId !== registrationId) {
      return {
        action: 'answer',
        status: 404,
        body: dpsErrorBody(404202, `Operation ${operationId} not found.`, ctx.clock.iso()),
      };
    }
    const now = ctx.clock.iso();
    const answer = (body: Record<string, unknown>): DpsOutcome => ({ action: 'answer', status: 200, body });
    const statusFault = ctx.faults.take(registrationId, ['status']);
    if (statusFault) {
      return answer({
        operationId,
        status: statusFault.status,
        registrationState: { registrationId, status: statusFault.status },
      });
    }
    const failedFault = ctx.faults.take(registrationId, ['failed']);
    const failure = failedFault
      ? {
          errorCode: failedFault.errorCode ?? 400209,
          errorMessage: failedFault.errorMessage ?? 'Custom allocation failed (lab fault).',
        }
      : op.enrollment.allocationFailure;
    if (failure) {
      return answer({
        operationId,
        status: 'failed',
        registrationState: {
          registrationId,
          createdDateTimeUtc: op.createdDateTimeUtc,
          status: 'failed',
          errorCode: failure.errorCode,
          errorMessage: failure.errorMessage,
          lastUpdatedDateTimeUtc: now,
          etag: etag(),
        },
      });
    }
    ctx.assign(op.enrollment.deviceId, op.identity);
    ctx.counters.assigned++;
    return answer(
      this.patch(registrationId, 'poll', {
        operationId,
        status: 'assigned',
        registrationState: {
          ...credentialState(op),
          registrationId,
          createdDateTimeUtc: op.createdDateTimeUtc,
          assignedHub: ctx.hubHost,
          deviceId: op.enrollment.deviceId,
          status: 'assigned',
          substatus: op.enrollment.substatus ?? 'initialAssignment',
          lastUpdatedDateTimeUtc: now,
          etag: etag(),
          ...(op.payload === undefined ? {} : { payload: op.payload }),
        },
      }),
    );
  }

  /** Apply a patch-response fault armed for this answer, if one fires. */
  private patch(
    registrationId: string,
    on: 'register' | 'poll',
    body: Record<string, unknown>,
  ): Record<string, unknown> {
    const armed = this.ctx.faults.peek(registrationId, 'patch-response') as
      Extract<LabFault, { kind: 'patch-response' }> | undefined;
    if (!armed || armed.on !== on) return body;
    this.ctx.faults.take(registrationId, ['patch-response']);
    const out = structuredClone(body);
    for (const [path, value] of Object.entries(armed.set ?? {})) setPath(out, path, value);
    for (const path of armed.omit ?? []) setPath(out, path, undefined);
    return out;
  }
}

/** registrationState.x509 / .symmetricKey: which kind of enrollment admitted the device (group ids for groups). */
function credentialState(op: Operation): Record<string, unknown> {
  const kind = op.enrollment.kind;
  const group = kind === 'x509-group' || kind === 'symmetric-key-group' ? { enrollmentGroupId: GROUP_IDS[kind] } : {};
  return op.identity.type === 'sas' ? { symmetricKey: group } : { x509: group };
}

/** Set (or with undefined delete) `a.b.c` in `target`, creating objects on the way. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/** DPS's JSON error body (MQTT payload and REST body alike), stamped with the lab clock's `timestampUtc`. */
export function dpsErrorBody(errorCode: number, message: string, timestampUtc: string): Record<string, unknown> {
  return { errorCode, trackingId: crypto.randomUUID(), message, timestampUtc };
}

function etag(): string {
  return Buffer.from(`"${crypto.randomUUID()}"`).toString('base64');
}
