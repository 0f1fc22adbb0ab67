import crypto from 'node:crypto';
import type { IConnectPacket, IPublishPacket } from 'mqtt-packet';
import { logger } from '../log';
import type { LabClock } from './clock';
import type { Enrollment, Enrollments, HubIdentity } from './enrollments';
import type { FaultTable } from './faults';
import type { MqttSession, SessionHandler } from './mqtt-listener';
import type { LabCounters } from './types';

const log = logger('lab:dps');

const REGISTER = /^\$dps\/registrations\/PUT\/iotdps-register\/\?(.*)$/;
const POLL = /^\$dps\/registrations\/GET\/iotdps-get-operationstatus\/\?(.*)$/;
const CONNACK = { accepted: 0, badUsernameOrPassword: 4, notAuthorized: 5 } as const;

/** A registration in progress or done. */
interface Operation {
  operationId: string;
  enrollment: Enrollment;
  identity: HubIdentity;
  createdDateTimeUtc: string;
  payload?: unknown;
}

/** What the DPS simulator needs from the lab. */
export interface DpsContext {
  idScope: string;
  hubHost: string;
  retryAfterSeconds: number;
  enrollments: Enrollments;
  faults: FaultTable;
  counters: LabCounters;
  /** The lab clock: registrationState and error timestamps. */
  clock: LabClock;
  /** DPS created/updated the device in the hub registry. */
  assign(deviceId: string, identity: HubIdentity): void;
}

/** Who a session authenticated as, from CONNECT on. */
interface Authenticated {
  enrollment: Enrollment;
  identity: HubIdentity;
}

/** One register or poll request: which it is, its `$rid` and the topic's query. */
interface DpsRequest {
  kind: 'register' | 'poll';
  rid: string;
  query: URLSearchParams;
}

/** Answers one request on `res/<status>/?$rid=…`, with `retry-after` when given; a string body is sent as is. */
type Respond = (status: number, body: unknown, retryAfter?: number) => void;

/** The private DPS endpoint: authenticates CONNECT against enrollments and runs register → assigning → assigned. */
export function createDpsHandler(ctx: DpsContext): SessionHandler {
  const operations = new Map<string, Operation>();
  const auth = new WeakMap<MqttSession, Authenticated>();

  return {
    connect(session, packet) {
      const result = authenticateConnect(ctx, session, packet);
      if (typeof result === 'number') return result;
      auth.set(session, result);
      if (ctx.faults.take(packet.clientId, ['drop-after-connack'])) {
        log('fault drop-after-connack for %s', packet.clientId);
        setImmediate(() => session.drop('fault drop-after-connack', true));
      }
      return CONNACK.accepted;
    },

    publish(session, packet) {
      const who = auth.get(session);
      if (!who) return session.protocolError('PUBLISH before authentication');
      const request = parseRequest(session, packet.topic);
      if (!request) return;
      if (request.kind === 'register') ctx.counters.registrations++;
      else ctx.counters.polls++;
      const respond: Respond = (status, body, retryAfter) => {
        const suffix = retryAfter === undefined ? '' : `&retry-after=${retryAfter}`;
        const payload = typeof body === 'string' ? body : JSON.stringify(body);
        session.publish(`$dps/registrations/res/${status}/?$rid=${encodeURIComponent(request.rid)}${suffix}`, payload);
      };
      const registrationId = who.enrollment.registrationId;
      if (answerFault(ctx, session, request, registrationId, respond)) return;
      if (request.kind === 'register') return register(ctx, operations, who, packet, respond);
      return poll(ctx, operations, registrationId, request.query.get('operationId') ?? '', respond);
    },
  };
}

/** Check a CONNECT's username and credentials: who it is, or the CONNACK code that refuses it (counted). */
function authenticateConnect(ctx: DpsContext, session: MqttSession, packet: IConnectPacket): Authenticated | number {
  const problem = checkUsername(ctx.idScope, packet);
  if (problem) {
    ctx.counters.refused++;
    log('refusing CONNECT from %s: %s', session.peer.remoteAddress, problem);
    return CONNACK.badUsernameOrPassword;
  }
  const password = packet.password === undefined ? undefined : packet.password.toString('utf8');
  const result = ctx.enrollments.authenticate(packet.clientId, password, session.peer);
  if (!result.ok) {
    ctx.counters.refused++;
    log('refusing CONNECT for %s: %s', packet.clientId, result.reason);
    return CONNACK.notAuthorized;
  }
  return { enrollment: result.enrollment, identity: result.identity };
}

/** A register or poll topic with a `$rid`; anything else drops the client as a protocol error (undefined). */
function parseRequest(session: MqttSession, topic: string): DpsRequest | undefined {
  const register = REGISTER.exec(topic);
  const match = register ?? POLL.exec(topic);
  if (!match) {
    session.protocolError(`unknown DPS topic ${JSON.stringify(topic)}`);
    return undefined;
  }
  const query = new URLSearchParams(match[1]);
  const rid = query.get('$rid');
  if (!rid) {
    session.protocolError(`no $rid in ${topic}`);
    return undefined;
  }
  return { kind: register ? 'register' : 'poll', rid, query };
}

/** Answer with the protocol fault armed for this registration, if one fires; true when the request is handled. */
function answerFault(
  ctx: DpsContext,
  session: MqttSession,
  request: DpsRequest,
  registrationId: string,
  respond: Respond,
): boolean {
  const errorBody = (errorCode: number, message: string): Record<string, unknown> =>
    dpsErrorBody(errorCode, message, ctx.clock.iso());
  const fault = ctx.faults.take(registrationId, [
    'throttle',
    'server-error',
    'error-status',
    'never-answer',
    'malformed-json',
    ...(request.kind === 'poll' ? (['drop-mid-poll'] as const) : []),
  ]);
  if (!fault) return false;
  log('fault %s for %s', fault.kind, registrationId);
  switch (fault.kind) {
    case 'throttle':
      respond(
        429,
        errorBody(429001, 'Operations are being throttled for this tenant.'),
        fault.retryAfterSeconds ?? ctx.retryAfterSeconds,
      );
      break;
    case 'server-error':
      respond(
        fault.status ?? 500,
        errorBody((fault.status ?? 500) * 1000 + 1, 'Internal server error.'),
        ctx.retryAfterSeconds,
      );
      break;
    case 'error-status':
      respond(
        fault.status,
        errorBody(fault.errorCode ?? fault.status * 1000 + 1, fault.message ?? `Lab fault: status ${fault.status}.`),
      );
      break;
    case 'never-answer':
      break;
    case 'malformed-json':
      respond(request.kind === 'register' ? 202 : 200, '{"operationId": "4.lab.truncated", "status": "assign');
      break;
    case 'drop-mid-poll':
      session.drop('fault drop-mid-poll');
      break;
  }
  return true;
}

/** A register request: check the body, open an operation and answer 202 assigning. */
function register(
  ctx: DpsContext,
  operations: Map<string, Operation>,
  who: Authenticated,
  packet: IPublishPacket,
  respond: Respond,
): void {
  const registrationId = who.enrollment.registrationId;
  let body: { registrationId?: unknown; payload?: unknown };
  try {
    body = JSON.parse(packet.payload.toString('utf8')) as typeof body;
  } catch {
    return respond(400, dpsErrorBody(400004, 'The request body is not valid JSON.', ctx.clock.iso()));
  }
  if (typeof body !== 'object' || body === null || body.registrationId !== registrationId) {
    return respond(
      400,
      dpsErrorBody(400004, `registrationId in the body must be "${registrationId}".`, ctx.clock.iso()),
    );
  }
  const operationId = `4.${crypto.randomBytes(8).toString('hex')}.${crypto.randomUUID()}`;
  operations.set(operationId, {
    operationId,
    enrollment: who.enrollment,
    identity: who.identity,
    createdDateTimeUtc: ctx.clock.iso(),
    payload: body.payload,
  });
  const oversized = ctx.faults.take(registrationId, ['oversized-payload']);
  const padding = oversized ? { padding: 'x'.repeat(oversized.bytes ?? 1024 * 1024) } : {};
  respond(202, { operationId, status: 'assigning', ...padding }, ctx.retryAfterSeconds);
}

/** A poll of `operationId`: 404 when unknown, else the operation ends failed (fault) or assigned (device in hub). */
function poll(
  ctx: DpsContext,
  operations: Map<string, Operation>,
  registrationId: string,
  operationId: string,
  respond: Respond,
): void {
  const op = operations.get(operationId);
  if (!op || op.enrollment.registrationId !== registrationId) {
    return respond(404, dpsErrorBody(404201, `Operation ${operationId} not found.`, ctx.clock.iso()));
  }
  const now = ctx.clock.iso();
  const failed = ctx.faults.take(registrationId, ['failed']);
  if (failed) {
    return respond(200, {
      operationId,
      status: 'failed',
      registrationState: {
        registrationId,
        createdDateTimeUtc: op.createdDateTimeUtc,
        status: 'failed',
        errorCode: failed.errorCode ?? 400209,
        errorMessage: failed.errorMessage ?? 'Custom allocation failed (lab fault).',
        lastUpdatedDateTimeUtc: now,
        etag: etag(),
      },
    });
  }
  ctx.assign(op.enrollment.deviceId, op.identity);
  ctx.counters.assigned++;
  respond(200, {
    operationId,
    status: 'assigned',
    registrationState: {
      ...(op.identity.type === 'sas' ? {} : { x509: {} }),
      registrationId,
      createdDateTimeUtc: op.createdDateTimeUtc,
      assignedHub: ctx.hubHost,
      deviceId: op.enrollment.deviceId,
      status: 'assigned',
      substatus: 'initialAssignment',
      lastUpdatedDateTimeUtc: now,
      etag: etag(),
      ...(op.payload === undefined ? {} : { payload: op.payload }),
    },
  });
}

/**
 * The public DPS endpoint with public network access disabled: the TLS handshake and CONNECT succeed (whatever the
 * credentials), and every request is answered 401, as real DPS does. Nothing here says "private endpoint".
 */
export function createPublicTwinHandler(counters: LabCounters, clock: LabClock): SessionHandler {
  return {
    connect: () => CONNACK.accepted,
    publish(session, packet: IPublishPacket) {
      const m = REGISTER.exec(packet.topic) ?? POLL.exec(packet.topic);
      const rid = m ? new URLSearchParams(m[1]).get('$rid') : null;
      if (!rid) {
        return session.protocolError(`unknown DPS topic ${JSON.stringify(packet.topic)}`);
      }
      counters.publicTwinRequests++;
      session.publish(
        `$dps/registrations/res/401/?$rid=${encodeURIComponent(rid)}`,
        JSON.stringify(dpsErrorBody(401002, 'Unauthorized', clock.iso())),
      );
    },
  };
}

function checkUsername(idScope: string, packet: IConnectPacket): string | undefined {
  const username = packet.username ?? '';
  const m = /^([^/]+)\/registrations\/([^/]+)\/api-version=([^&]+)(&.*)?$/.exec(username);
  if (!m) return `username ${JSON.stringify(username)} is not <idScope>/registrations/<registrationId>/api-version=…`;
  if (m[1].toLowerCase() !== idScope.toLowerCase()) return `ID scope ${m[1]} is not this DPS's (${idScope})`;
  if (m[2] !== packet.clientId) return `username registration id ${m[2]} differs from client id ${packet.clientId}`;
  return undefined;
}

/** DPS's JSON error body (MQTT payload and REST body alike), stamped with the lab clock's `timestampUtc`. */
export function dpsErrorBody(errorCode: number, message: string, timestampUtc: string): Record<string, unknown> {
  return { errorCode, trackingId: crypto.randomUUID(), message, timestampUtc };
}

function etag(): string {
  return Buffer.from(`"${crypto.randomUUID()}"`).toString('base64');
}
