import type { IConnectPacket, IPublishPacket } from 'mqtt-packet';
import { logger } from '../log';
import { certificateValidityProblem, type HubIdentity } from './enrollments';
import type { FaultTable } from './faults';
import type { MqttSession, SessionHandler } from './mqtt-listener';
import { verifySas } from './sas';
import type { TwinStore } from './twin';
import type { LabCounters, LabMessage } from './types';

const log = logger('lab:hub');
/** What a handler's connect returns to send no CONNACK at all (the session stays open, silent). */
const NO_CONNACK = -1;

const TELEMETRY = /^devices\/([^/]+)\/messages\/events\/(.*)$/;
const TWIN_GET = /^\$iothub\/twin\/GET\/\?\$rid=(.+)$/;
const TWIN_PATCH = /^\$iothub\/twin\/PATCH\/properties\/reported\/\?\$rid=([^&]+)/;

/** What the hub handler works with: its name, registry, twins and counters, the lab clock and the hub faults. */
export interface HubContext {
  hubHost: string;
  registry: HubRegistry;
  twins: TwinStore;
  counters: LabCounters;
  now: () => number;
  faults?: FaultTable;
}

/** The hub's device registry and what devices sent. */
export class HubRegistry {
  private readonly devices = new Map<string, HubIdentity>();
  private readonly messages = new Map<string, LabMessage[]>();

  set(deviceId: string, identity: HubIdentity): void {
    this.devices.set(deviceId, identity);
  }
  get(deviceId: string): HubIdentity | undefined {
    return this.devices.get(deviceId);
  }
  ids(): string[] {
    return [...this.devices.keys()];
  }
  record(deviceId: string, message: LabMessage): void {
    const list = this.messages.get(deviceId) ?? [];
    list.push(message);
    this.messages.set(deviceId, list);
  }
  received(deviceId: string): LabMessage[] {
    return [...(this.messages.get(deviceId) ?? [])];
  }
}

/**
 * The private hub endpoint: device auth (X.509 thumbprint or CA chain, SAS with the device key) for devices DPS
 * assigned, the hub username format, telemetry on `devices/<id>/messages/events/`, and a minimal twin so
 * `getTwin()` does not hang.
 */
export function createHubHandler(hub: HubContext): SessionHandler {
  const { hubHost, registry, counters, now, faults } = hub;
  const deviceOf = new WeakMap<MqttSession, string>();
  return {
    connect(session, packet) {
      const refuse = (code: number, reason: string): number => {
        counters.refused++;
        log('refusing CONNECT from %s: %s', session.peer.remoteAddress, reason);
        return code;
      };
      const problem = checkUsername(hubHost, packet);
      if (problem) return refuse(4, problem);
      const deviceId = packet.clientId;
      const identity = registry.get(deviceId);
      if (!identity) return refuse(5, `device ${deviceId} is not in the hub registry (not provisioned)`);
      const authProblem = authenticate(hubHost, deviceId, identity, packet, session, now());
      if (authProblem) return refuse(5, `${deviceId}: ${authProblem}`);
      const fault = faults?.take(deviceId, ['hub-refuse', 'hub-drop-after-connack', 'hub-never-connack']);
      if (fault?.kind === 'hub-refuse') return refuse(5, `${deviceId}: fault hub-refuse`);
      if (fault?.kind === 'hub-never-connack') {
        log('fault hub-never-connack for %s: CONNECT read, no CONNACK', deviceId);
        return NO_CONNACK;
      }
      if (fault?.kind === 'hub-drop-after-connack') {
        log('fault hub-drop-after-connack for %s', deviceId);
        setImmediate(() => session.drop('fault hub-drop-after-connack', true));
      }
      deviceOf.set(session, deviceId);
      return 0;
    },
    publish(session, packet) {
      const deviceId = deviceOf.get(session)!;
      const telemetry = TELEMETRY.exec(packet.topic);
      if (telemetry) return recordTelemetry(session, packet, deviceId, telemetry, { registry, counters, now });
      if (answerTwin(session, packet, deviceId, hub)) return;
      log('%s published to %s: ignored', deviceId, packet.topic);
    },
  };
}

/** Telemetry on `devices/<id>/messages/events/<property bag>`, only to the device's own topic. */
function recordTelemetry(
  session: MqttSession,
  packet: IPublishPacket,
  deviceId: string,
  topic: RegExpExecArray,
  hub: { registry: HubRegistry; counters: LabCounters; now: () => number },
): void {
  if (decodeURIComponent(topic[1]) !== deviceId) {
    return session.protocolError(`${deviceId} published to another device's topic ${packet.topic}`);
  }
  hub.counters.telemetry++;
  hub.registry.record(deviceId, {
    topic: packet.topic,
    payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
    properties: Object.fromEntries(new URLSearchParams(topic[2])),
    transport: session.peer.transport,
    receivedAt: new Date(hub.now()),
  });
}

/**
 * The twin topics the SDK speaks: GET answers desired and reported with their `$version`; a reported-properties PATCH
 * is applied as IoT Hub does and answered 204 with the new `$version`, or refused with the service's status and error
 * body. True when the topic was a twin request.
 */
function answerTwin(
  session: MqttSession,
  packet: IPublishPacket,
  deviceId: string,
  { twins, counters }: HubContext,
): boolean {
  const get = TWIN_GET.exec(packet.topic);
  if (get) {
    session.publish(`$iothub/twin/res/200/?$rid=${get[1]}`, JSON.stringify(twins.get(deviceId)));
    return true;
  }
  const patch = TWIN_PATCH.exec(packet.topic);
  if (!patch) return false;
  counters.twinPatches++;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(packet.payload).toString('utf8'));
  } catch {
    body = undefined;
  }
  const outcome = twins.patchReported(deviceId, body);
  if ('version' in outcome) {
    session.publish(`$iothub/twin/res/204/?$rid=${patch[1]}&$version=${outcome.version}`, '');
  } else {
    log('%s: reported properties patch refused %d: %s', deviceId, outcome.status, outcome.body.message);
    session.publish(`$iothub/twin/res/${outcome.status}/?$rid=${patch[1]}`, JSON.stringify(outcome.body));
  }
  return true;
}

/**
 * The hub reached through its public address. With public network access disabled (the default): CONNACK "not
 * authorized". Enabled (`access.enabled`), it is the same hub as the private endpoint — a device that resolved the
 * public name works, and only its posture shows which way it came.
 */
export function createHubPublicHandler(
  counters: LabCounters,
  access: { enabled: boolean } = { enabled: false },
  hub?: SessionHandler,
): SessionHandler {
  return {
    connect(session, packet) {
      if (access.enabled && hub) return hub.connect(session, packet);
      counters.refused++;
      log('public hub endpoint: refusing %s (public network access disabled)', session.peer.remoteAddress);
      return 5;
    },
    publish: (session, packet) => (access.enabled && hub ? hub.publish(session, packet) : undefined),
  };
}

function checkUsername(hubHost: string, packet: IConnectPacket): string | undefined {
  const username = packet.username ?? '';
  const m = /^([^/]+)\/([^/]+)\/\?(.*)$/.exec(username);
  if (!m) return `username ${JSON.stringify(username)} is not <hub>/<deviceId>/?api-version=…`;
  if (m[1].toLowerCase() !== hubHost.toLowerCase()) return `username names hub ${m[1]}, this is ${hubHost}`;
  if (decodeURIComponent(m[2]) !== packet.clientId)
    return `username device ${m[2]} differs from client id ${packet.clientId}`;
  if (!new URLSearchParams(m[3]).get('api-version')) return 'username has no api-version';
  return undefined;
}

function authenticate(
  hubHost: string,
  deviceId: string,
  identity: HubIdentity,
  packet: IConnectPacket,
  session: MqttSession,
  nowMs: number,
): string | undefined {
  if (identity.type === 'sas') {
    if (packet.password === undefined) return 'no SAS token (device uses a symmetric key)';
    const problem = verifySas(packet.password.toString('utf8'), {
      resource: `${hubHost}/devices/${deviceId}`,
      key: identity.key,
      nowSeconds: Math.floor(nowMs / 1000),
    });
    return problem ? `SAS ${problem}` : undefined;
  }
  const cert = session.peer.certificate;
  if (!cert) return 'no client certificate (device uses X.509)';
  const validity = certificateValidityProblem(cert, nowMs);
  if (validity) return validity;
  if (identity.type === 'x509-thumbprint') {
    return cert.thumbprint === identity.thumbprint
      ? undefined
      : `certificate thumbprint ${cert.thumbprint} is not the registered one`;
  }
  if (cert.commonName !== deviceId) return `certificate CN ${cert.commonName} is not the device id`;
  return cert.chainTrusted && cert.chainThumbprints.slice(1).includes(identity.caThumbprint)
    ? undefined
    : 'certificate does not chain to the group CA';
}
