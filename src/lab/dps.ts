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

/** The private DPS endpoint: authenticates CONNECT against enrollments and runs register → assigning → assigned. */
export function createDpsHandler(ctx: DpsContext): SessionHandler {
  const operations = new Map<string, Operation>();
  const errorBody = (errorCode: number, message: string): Record<string, unknown> =>
    dpsErrorBody(errorCode, message, ctx.clock.iso());
  const auth = new WeakMap<MqttSession, { enrollment: Enrollment; identity: HubIdentity }>();

  return {
    connect(session, packet) {
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
      auth.set(session, { enrollment: result.enrollment, identity: result.identity });
      if (ctx.faults.take(packet.clientId, ['drop-after-connack'])) {
        log('fault drop-after-connack for %s', packet.clientId);
        setImmediate(() => session.drop('fault drop-after-connack', true));
      }
      return CONNACK.accepted;
    },

    publish(session, packet) {
      const who = auth.get(session);
      if (!who) return session.protocolError('PUBLISH before authentication');
      const registrationId = who.enrollment.registrationId;
      const register = REGISTER.exec(packet.topic);
      const poll = register ? undefined : POLL.exec(packet.topic);
      if (!register && !poll) {
        return session.protocolError(`unknown DPS topic ${JSON.stringify(packet.topic)}`);
      }
      const query = new URLSearchParams((register ?? poll)![1]);
      const rid = query.get('$rid');
      if (!rid) {
        return session.protocolError(`no $rid in ${packet.topic}`);
      }
      if (register) ctx.counters.registrations++;
      else ctx.counters.polls++;
      const respond = (status: number, body: unknown, retryAfter?: number): void => {
        const suffix = retryAfter === undefined ? '' : `&retry-after=${retryAfter}`;
        const payload = typeof body === 'string' ? body : JSON.stringify(body);
        session.publish(`$dps/registrations/res/${status}/?$rid=${encodeURIComponent(rid)}${suffix}`, payload);
      };

      const fault = ctx.faults.take(registrationId, [
        'throttle',
        'server-error',
        'error-status',
        'never-answer',
        'malformed-json',
        ...(poll ? (['drop-mid-poll'] as const) : []),
      ]);
      if (fault) log('fault %s for %s', fault.kind, registrationId);
      switch (fault?.kind) {
        case 'throttle':
          return respond(
            429,
            errorBody(429001, 'Operations are being throttled for this tenant.'),
            fault.retryAfterSeconds ?? ctx.retryAfterSeconds,
          );
        case 'server-error':
          return respond(
            fault.status ?? 500,
            errorBody((fault.status ?? 500) * 1000 + 1, 'Internal server error.'),
            ctx.retryAfterSeconds,
          );
        case 'error-status':
          return respond(
            fault.status,
            errorBody(
              fault.errorCode ?? fault.status * 1000 + 1,
              fault.message ?? `Lab fault: status ${fault.status}.`,
            ),
          );
        case 'never-answer':
          return;
        case 'malformed-json':
          return respond(register ? 202 : 200, '{"operationId": "4.lab.truncated", "status": "assign');
        case 'drop-mid-poll':
          return session.drop('fault drop-mid-poll');
        default:
      }

      if (register) {
        let body: { registrationId?: unknown; payload?: unknown };
        try {
          body = JSON.parse(packet.payload.toString('utf8')) as typeof body;
        } catch {
          return respond(400, errorBody(400004, 'The request body is not valid JSON.'));
        }
        if (typeof body !== 'object' || body === null || body.registrationId !== registrationId) {
          return respond(400, errorBody(400004, `registrationId in the body must be "${registrationId}".`));
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
        return respond(202, { operationId, status: 'assigning', ...padding }, ctx.retryAfterSeconds);
      }

      const operationId = query.get('operationId') ?? '';
      const op = operations.get(operationId);
      if (!op || op.enrollment.registrationId !== registrationId) {
        return respond(404, errorBody(404201, `Operation ${operationId} not found.`));
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
      return respond(200, {
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
    },
  };
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
