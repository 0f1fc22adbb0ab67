import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logger } from '../log';
import type { TLSSocket } from 'node:tls';
import type { LabClock } from './clock';
import { dpsErrorBody, type DpsContext, type DpsOutcome, type DpsService } from './dps-service';
import { peerInfo } from './mqtt-listener';

const log = logger('lab:https');

/** Which service's REST face a listener shows on its HTTPS port. */
export type HttpsFace = 'dps' | 'hub';

/** Answers one plain HTTPS request (no WebSocket upgrade). */
export type HttpsResponder = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * DPS device REST paths: register (PUT), operation status (GET) and registration status lookup (POST), all under
 * `/{idScope}/registrations/{registrationId}` (what azure-iot-provisioning-device-http dials).
 */
const DPS_REGISTRATION = /^\/[^/]+\/registrations\/[^/]+(?:\/register|\/operations\/[^/]+)?\/?$/;
/** IoT hub REST paths that need device or service credentials. */
const HUB_AUTHENTICATED = /^\/(?:devices|twins)\//;

/**
 * The REST face of the lab's DPS and hub on their HTTPS port, as the real services answer a request without
 * credentials: DPS registration paths get 401 with DPS's JSON error body (errorCode 401002), the hub's device and
 * twin paths 401 IotHubUnauthorizedAccess, anything else 404 with the same body shape. Every answer carries a `Date`
 * header from the lab clock — the clock source dps-check reads inside a VNET.
 *
 * The lab does not implement provisioning or telemetry over HTTPS (the product and its tests use MQTT): a request
 * with credentials is answered like one without, and the log line says so.
 */
export function createHttpsResponder(face: HttpsFace, listener: string, clock: LabClock): HttpsResponder {
  return (req, res) => {
    // Drain any request body so the connection can be reused (the SDK's REST client keeps it alive).
    req.resume();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const credentials = req.headers.authorization !== undefined || hasClientCertificate(req);
    const { status, body } = face === 'dps' ? dpsAnswer(path, clock) : hubAnswer(path, clock);
    log(
      '%s: HTTPS %s %s from %s%s: %d',
      listener,
      req.method,
      path,
      req.socket.remoteAddress,
      credentials ? ' (credentials ignored: the lab serves MQTT only)' : '',
      status,
    );
    const text = JSON.stringify(body);
    res.writeHead(status, {
      date: clock.httpDate(),
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
}

function dpsAnswer(path: string, clock: LabClock): { status: number; body: Record<string, unknown> } {
  if (DPS_REGISTRATION.test(path)) return { status: 401, body: dpsErrorBody(401002, 'Unauthorized', clock.iso()) };
  return { status: 404, body: dpsErrorBody(404001, 'The requested resource does not exist.', clock.iso()) };
}

function hubAnswer(path: string, clock: LabClock): { status: number; body: Record<string, unknown> } {
  // IoT Hub's REST errors: {"Message":"ErrorCode:<name>;<text>","ExceptionMessage":"Tracking ID:…-TimeStamp:…"}.
  const trackingId = crypto.randomUUID().replace(/-/g, '');
  const exceptionMessage = `Tracking ID:${trackingId}-G:0-TimeStamp:${hubTimestamp(clock.now())}`;
  if (HUB_AUTHENTICATED.test(path)) {
    return {
      status: 401,
      body: { Message: 'ErrorCode:IotHubUnauthorizedAccess;Unauthorized', ExceptionMessage: exceptionMessage },
    };
  }
  return {
    status: 404,
    body: { Message: 'ErrorCode:NotFound;The requested resource does not exist.', ExceptionMessage: exceptionMessage },
  };
}

/** `MM/DD/YYYY HH:MM:SS` in UTC, the form IoT Hub puts in its tracking ids. */
function hubTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  const date = `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()}`;
  return `${date} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function hasClientCertificate(req: IncomingMessage): boolean {
  const socket = req.socket as { getPeerCertificate?: () => { fingerprint256?: string } };
  return Boolean(socket.getPeerCertificate?.()?.fingerprint256);
}

/** The device REST calls DPS serves: register (PUT) and operation status (GET), with their path parameters. */
const REST_REGISTER = /^\/([^/]+)\/registrations\/([^/]+)\/register\/?$/;
const REST_OPERATION = /^\/([^/]+)\/registrations\/([^/]+)\/operations\/([^/]+)\/?$/;
/** Register bodies are small; anything bigger is not a device. */
const MAX_REST_BODY = 64 * 1024;

/**
 * The REST face of the private DPS on its HTTPS port (443 in the field): `PUT /{idScope}/registrations/{id}/register`
 * and `GET /{idScope}/registrations/{id}/operations/{operationId}`, `?api-version=…`, authenticated by the TLS client
 * certificate or an `Authorization: SharedAccessSignature …` header, answered by the same {@link DpsService} as MQTT
 * (same statuses and bodies; `retry-after` as a header). What HTTPS SDKs and curl provision with. Other paths get the
 * unauthenticated answers of {@link createHttpsResponder}.
 */
export function createDpsRestResponder(ctx: DpsContext, service: DpsService, listener: string): HttpsResponder {
  const fallback = createHttpsResponder('dps', listener, ctx.clock);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://lab');
    const register = req.method === 'PUT' ? REST_REGISTER.exec(url.pathname) : null;
    const operation = req.method === 'GET' ? REST_OPERATION.exec(url.pathname) : null;
    const match = register ?? operation;
    if (!match) return fallback(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REST_BODY) req.socket.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      ctx.counters.restRequests++;
      const [, idScope, rawId] = match;
      const registrationId = decodeURIComponent(rawId);
      const send = (outcome: DpsOutcome): void => sendRest(res, req, outcome, ctx.clock, listener);
      const unauthorized = (why: string): void => {
        log('%s: REST %s %s: 401 (%s)', listener, req.method, url.pathname, why);
        ctx.counters.unauthorized++;
        send({ action: 'answer', status: 401, body: dpsErrorBody(401002, 'Unauthorized', ctx.clock.iso()) });
      };
      if (idScope.toLowerCase() !== ctx.idScope.toLowerCase()) return unauthorized(`ID scope ${idScope}`);
      const sas = /^SharedAccessSignature /i.test(req.headers.authorization ?? '')
        ? req.headers.authorization
        : undefined;
      const admission = service.admit(registrationId, sas, peerInfo(req.socket as TLSSocket, 'mqtt-ws'));
      // REST has no CONNACK: what MQTT refuses at CONNECT, REST refuses with 401.
      if (admission.kind === 'refuse') return unauthorized('refused credentials');
      send(
        service.handle(admission, {
          kind: register ? 'register' : 'poll',
          apiVersion: url.searchParams.get('api-version') ?? undefined,
          operationId: operation ? decodeURIComponent(operation[3]) : undefined,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
  };
}

/** Write a DPS outcome as an HTTPS response: JSON body, `retry-after` header, the lab clock's `Date`. */
function sendRest(
  res: ServerResponse,
  req: IncomingMessage,
  outcome: DpsOutcome,
  clock: LabClock,
  listener: string,
): void {
  if (outcome.action === 'silent') return;
  if (outcome.action === 'drop') {
    req.socket.destroy();
    return;
  }
  const text = typeof outcome.body === 'string' ? outcome.body : JSON.stringify(outcome.body);
  log('%s: REST %s %s: %d', listener, req.method, (req.url ?? '/').split('?')[0], outcome.status);
  res.writeHead(outcome.status, {
    date: clock.httpDate(),
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(outcome.retryAfter !== undefined ? { 'retry-after': String(outcome.retryAfter) } : {}),
  });
  res.end(text);
}
