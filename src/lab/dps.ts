import type { IConnectPacket, IPublishPacket } from 'mqtt-packet';
import { logger } from '../log';
import type { LabClock } from './clock';
import { DpsService, dpsErrorBody, type Caller, type DpsContext, type DpsOutcome } from './dps-service';
import type { MqttSession, SessionHandler } from './mqtt-listener';
import type { LabCounters } from './types';

export { dpsErrorBody, type DpsContext } from './dps-service';

const log = logger('lab:dps');

const REGISTER = /^\$dps\/registrations\/PUT\/iotdps-register\/\?(.*)$/;
const POLL = /^\$dps\/registrations\/GET\/iotdps-get-operationstatus\/\?(.*)$/;
const CONNACK = { accepted: 0, badUsernameOrPassword: 4 } as const;

/** One register or poll request off an MQTT topic: which it is, its `$rid` and the topic's query. */
interface MqttRequest {
  kind: 'register' | 'poll';
  rid: string;
  query: URLSearchParams;
}

/**
 * The private DPS endpoint over MQTT: authenticates CONNECT against enrollments (CONNACK 4/5 for an inconsistent
 * CONNECT; bad credentials answered 401 after CONNACK 0 by default) and runs register → assigning → assigned through
 * the {@link DpsService} the REST face shares.
 */
export function createDpsHandler(ctx: DpsContext, service = new DpsService(ctx)): SessionHandler {
  const callers = new WeakMap<MqttSession, { caller: Caller; apiVersion: string | undefined }>();

  return {
    connect(session, packet) {
      const problem = checkUsername(ctx.idScope, packet);
      if (problem) {
        ctx.counters.refused++;
        log('refusing CONNECT from %s: %s', session.peer.remoteAddress, problem.reason);
        return CONNACK.badUsernameOrPassword;
      }
      const password = packet.password === undefined ? undefined : packet.password.toString('utf8');
      const admission = service.admit(packet.clientId, password, session.peer);
      if (admission.kind === 'refuse') return admission.returnCode;
      callers.set(session, { caller: admission, apiVersion: problem === undefined ? apiVersionOf(packet) : undefined });
      if (admission.kind === 'ok' && ctx.faults.take(packet.clientId, ['drop-after-connack'])) {
        log('fault drop-after-connack for %s', packet.clientId);
        setImmediate(() => session.drop('fault drop-after-connack', true));
      }
      return CONNACK.accepted;
    },

    publish(session, packet) {
      const who = callers.get(session);
      if (!who) return session.protocolError('PUBLISH before authentication');
      const request = parseRequest(session, packet.topic);
      if (!request) return;
      const outcome = service.handle(who.caller, {
        kind: request.kind,
        apiVersion: who.apiVersion,
        operationId: request.query.get('operationId') ?? '',
        body: packet.payload.toString('utf8'),
      });
      deliver(session, request.rid, outcome, ctx.behaviour.responseQueryOrder);
    },
  };
}

/** Send an outcome on `res/<status>/?$rid=…[&retry-after=…]`, the query in the order the behaviour says. */
function deliver(
  session: MqttSession,
  rid: string,
  outcome: DpsOutcome,
  order: DpsContext['behaviour']['responseQueryOrder'],
): void {
  if (outcome.action === 'silent') return;
  if (outcome.action === 'drop') return session.drop('fault drop-mid-poll');
  const params = [`$rid=${encodeURIComponent(rid)}`];
  if (outcome.retryAfter !== undefined) {
    const retryAfter = `retry-after=${outcome.retryAfter}`;
    if (order === 'retry-after-first') params.unshift(retryAfter);
    else params.push(retryAfter);
  }
  const payload = typeof outcome.body === 'string' ? outcome.body : JSON.stringify(outcome.body);
  session.publish(`$dps/registrations/res/${outcome.status}/?${params.join('&')}`, payload);
}

/** A register or poll topic with a `$rid`; anything else drops the client as a protocol error (undefined). */
function parseRequest(session: MqttSession, topic: string): MqttRequest | undefined {
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

/**
 * The public DPS endpoint with public network access disabled: the TLS handshake and CONNECT succeed (whatever the
 * credentials), and every request is answered 401 (401002), as real DPS does. Nothing here says "private endpoint".
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

const USERNAME = /^([^/]+)\/registrations\/([^/]+)\/(.*)$/;

/** An inconsistent username (CONNACK 4): not the DPS form, another ID scope, or another registration id. */
function checkUsername(idScope: string, packet: IConnectPacket): { reason: string } | undefined {
  const username = packet.username ?? '';
  const m = USERNAME.exec(username);
  if (!m || !/^api-version=[^&]+(&.*)?$/.test(m[3])) {
    return {
      reason: `username ${JSON.stringify(username)} is not <idScope>/registrations/<registrationId>/api-version=…`,
    };
  }
  if (m[1].toLowerCase() !== idScope.toLowerCase())
    return { reason: `ID scope ${m[1]} is not this DPS's (${idScope})` };
  if (m[2] !== packet.clientId) {
    return { reason: `username registration id ${m[2]} differs from client id ${packet.clientId}` };
  }
  return undefined;
}

/** The api-version the username names (checked against the supported ones on each request). */
function apiVersionOf(packet: IConnectPacket): string | undefined {
  const m = USERNAME.exec(packet.username ?? '');
  return m ? (new URLSearchParams(m[3]).get('api-version') ?? undefined) : undefined;
}
