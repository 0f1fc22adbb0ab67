import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { MqttBase } from 'azure-iot-mqtt-base';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { TransportName } from '../config/types';
import type { ClientCredentials, ConnectionSession } from './session';
import { TRANSPORTS } from './transports';
import { unsafeTopic } from './topic-guard';
import { createFrameGuard, type FrameViolation } from './mqtt-frame-guard';
import { logger } from '../log';

const log = logger('connection');

/** Decides whether an incoming MQTT message reaches the SDK. Return false to swallow it (e.g. malformed JSON). */
export type MessageTap = (topic: string, payload: Buffer) => boolean;

/** Hooks of {@link createMqttProvider}. */
export interface ProviderHooks {
  /** Sees each message the topic guard let through; false swallows it. */
  tap?: MessageTap;
  /** Called once the broker accepted CONNECT. */
  onConnack?: () => void;
  /** Called for every CONNACK received, accepting or refusing (`returnCode` 0 = accepted). */
  onConnackPacket?: (returnCode: number) => void;
  /** Called for each message the topic guard swallowed (see {@link unsafeTopic}), with the reason. */
  onUnsafeTopic?: (topic: string, reason: string) => void;
  /** Called once when the broker sent bytes that are no MQTT packet of a broker (the connection is then closed). */
  onFrameViolation?: (violation: FrameViolation) => void;
}

/** The shape the Azure SDK's MqttBase expects of an "mqtt provider" (the mqtt.js module by default). */
export interface MqttProvider {
  connect(uri: string, options: IClientOptions & ClientCredentials): MqttClient;
}

/**
 * An mqtt provider for the SDK's `new MqttBase(provider)` seam. It keeps every MQTT option the SDK chose
 * (client id, username, SAS password, keepalive) but builds the byte stream through `session`: the pinned
 * address, the TLS policy, the CA, the port override and the proxy all apply, whatever the SDK's URI says.
 */
export function createMqttProvider(
  session: ConnectionSession,
  kind: TransportName,
  hooks: ProviderHooks = {},
): MqttProvider {
  const { tap, onConnack, onUnsafeTopic, onConnackPacket, onFrameViolation } = hooks;
  return {
    connect(uri, options) {
      // Only the host and path are needed; the URL object itself is not kept for the connection's life.
      const { hostname, pathname } = new URL(uri);
      const credentials: ClientCredentials = { cert: options.cert, key: options.key, passphrase: options.passphrase };
      const sameHost = hostname.toLowerCase() === session.target.host.toLowerCase();
      let streamClosed = false;
      let stream: Duplex | undefined;
      const client = new (closingOnErrorClass())(
        () => {
          if (!sameHost) {
            // The SDK asked for a name we did not verify (e.g. a gatewayHostName): never connect to it.
            session.close();
          }
          streamClosed = false;
          const opened = session.openStream(kind, credentials, pathname || undefined);
          stream = opened;
          opened.once('close', () => {
            streamClosed = true;
          });
          guardFrames(opened, (violation) => {
            log('closed the connection to %s: %s', session.target.host, violation.reason);
            onFrameViolation?.(violation);
          });
          return opened as never;
        },
        { ...options, reconnectPeriod: 0, protocol: TRANSPORTS[kind].protocol },
      );
      client.onConnectedError = (err) => {
        log('connection to %s failed: %s', session.target.host, err?.message);
        stream?.destroy();
      };
      // mqtt.js 4 waits for the stream's 'close' in end(); when the peer already dropped the connection that event
      // has passed and end() never calls back, so the SDK's disconnect (and everything waiting on it) would hang.
      const end = client.end.bind(client) as (...args: unknown[]) => MqttClient;
      (client as unknown as { end: (...args: unknown[]) => MqttClient }).end = (...args: unknown[]) => {
        if (!streamClosed) return end(...args);
        const cb = args.find((a): a is () => void => typeof a === 'function');
        if (cb) setImmediate(cb);
        return client;
      };
      // mqtt.connect() installs this too: an 'error' with no listener would throw.
      client.on('error', () => undefined);
      if (onConnack) client.on('connect', () => onConnack());
      if (onConnackPacket) {
        client.on('packetreceive', (p: { cmd: string; returnCode?: number }) => {
          if (p.cmd === 'connack') onConnackPacket(p.returnCode ?? 0);
        });
      }
      // Every message passes the topic guard before the SDK's handler, where a crafted topic would throw uncaught.
      // A function with `arguments` passed on, not rest and spread: mqtt.js emits a dozen events a packet.
      const emit = client.emit;
      (client as unknown as { emit: (event: string | symbol, ...args: unknown[]) => boolean }).emit = function (
        this: MqttClient,
        event: string | symbol,
        topic?: unknown,
        payload?: unknown,
      ): boolean {
        if (event === 'message') {
          const name = String(topic);
          const unsafe = unsafeTopic(name);
          if (unsafe) {
            log('dropped a message from %s: %s', session.target.host, unsafe);
            onUnsafeTopic?.(name, unsafe);
            return false;
          }
          if (tap && !tap(name, payload as Buffer)) return false;
        }
        // eslint-disable-next-line prefer-rest-params
        return Reflect.apply(emit, client, arguments) as boolean;
      };
      return client;
    },
  };
}

/** An mqtt.js client whose 'error' after CONNACK closes the stream instead (see {@link closingOnErrorClass}). */
interface ClosingOnErrorClient extends MqttClient {
  /** Called instead of emitting 'error' once connected. */
  onConnectedError?: (err: Error | undefined) => void;
}

let closingOnError: (new (...args: ConstructorParameters<typeof MqttClient>) => ClosingOnErrorClient) | undefined;

/**
 * The mqtt.js client class every connection uses, built once: mqtt.js loads on the first connect (as the SDK itself
 * does: importing the package should not pay for it), and one class for all clients keeps V8's inline caches for
 * MqttClient monomorphic — a class made per connection cost a gateway ~0.1 ms and 6 KB a registration.
 */
function closingOnErrorClass(): NonNullable<typeof closingOnError> {
  if (closingOnError) return closingOnError;
  const { MqttClient: Base } = require('mqtt') as typeof import('mqtt');
  uncachedNumbers();
  // mqtt.js binds its parser's 'error' to `this.emit` in its constructor: only a method reaches that one.
  closingOnError = class ClosingOnError extends Base implements ClosingOnErrorClient {
    onConnectedError?: (err: Error | undefined) => void;
    override emit(event: string | symbol, err?: unknown): boolean {
      if (event !== 'error' || !this.connected || !this.onConnectedError) {
        // eslint-disable-next-line prefer-rest-params
        return Reflect.apply(Base.prototype.emit, this, arguments) as boolean;
      }
      // After CONNACK the SDK answers 'error' by tearing down while its own callers may be tearing down too, and
      // one of its handlers then runs without a callback (TypeError, uncaught). A closed stream it handles
      // cleanly: each pending call is called back once.
      this.onConnectedError(err as Error | undefined);
      return true;
    }
  };
  return closingOnError;
}

/**
 * mqtt.js 4 writes packet ids and lengths through mqtt-packet, which by default builds a cache of all 65,536 two-byte
 * numbers at the first packet of the process: ~20 ms of CPU and two garbage collections on the boot path, and ~5 MB
 * kept for good — for a device that sends a handful of packets. Its documented switch `writeToStream.cacheNumbers =
 * false` writes each number as it goes instead (same bytes). It is set on the copy mqtt.js itself loads; an app that
 * uses that copy too gets the same bytes, built per packet.
 */
function uncachedNumbers(): void {
  try {
    const from = path.dirname(require.resolve('mqtt/package.json'));
    const packet = require(require.resolve('mqtt-packet', { paths: [from] })) as {
      writeToStream?: { cacheNumbers?: boolean };
    };
    if (packet.writeToStream) packet.writeToStream.cacheNumbers = false;
  } catch (err) {
    // A layout without a separate copy, or a release without the switch: the cache then costs what it always did.
    log('mqtt-packet number cache left on: %s', (err as Error).message);
  }
}

/**
 * Screens the broker's bytes on their way to mqtt.js (which reads them through `pipe`, i.e. 'data' events): at the
 * first fixed header no broker may send, nothing more is delivered and the stream is destroyed without an error.
 */
function guardFrames(stream: Duplex, onViolation: (violation: FrameViolation) => void): void {
  const guard = createFrameGuard();
  let violated = false;
  const emit = stream.emit;
  (stream as unknown as { emit: (event: string | symbol, ...args: unknown[]) => boolean }).emit = function (
    this: Duplex,
    event: string | symbol,
    data?: unknown,
  ): boolean {
    // eslint-disable-next-line prefer-rest-params
    if (event !== 'data') return Reflect.apply(emit, stream, arguments) as boolean;
    if (violated) return false;
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as Uint8Array);
    const violation = guard.check(chunk);
    // eslint-disable-next-line prefer-rest-params
    if (!violation) return Reflect.apply(emit, stream, arguments) as boolean;
    violated = true;
    // The packets before the offending one are delivered: a CONNACK in the same read as garbage is still a CONNACK.
    if (violation.at > 0) emit.call(stream, event, chunk.subarray(0, violation.at));
    onViolation(violation);
    stream.destroy();
    return false;
  };
}

const mqttBases = new Map<string, typeof MqttBase>();

/**
 * The MqttBase class from the copy of azure-iot-mqtt-base that `transportPackage` itself depends on. The SDK's
 * transports pin exact versions of it (azure-iot-provisioning-device-mqtt 1.8.1 → 1.13.1, azure-iot-device-mqtt
 * 1.16.4 → 1.13.3), so resolving it from the transport loads one copy instead of two and hands each transport the
 * class it was built against.
 */
export function loadMqttBase(
  transportPackage: 'azure-iot-provisioning-device-mqtt' | 'azure-iot-device-mqtt',
): typeof MqttBase {
  // Resolved once per package: require.resolve with `paths` walks the file system every call (~10 KB of garbage and
  // a stat per directory level, per registration of a gateway).
  let base = mqttBases.get(transportPackage);
  if (!base) {
    const from = path.dirname(require.resolve(`${transportPackage}/package.json`));
    base = (require(require.resolve('azure-iot-mqtt-base', { paths: [from] })) as typeof import('azure-iot-mqtt-base'))
      .MqttBase;
    mqttBases.set(transportPackage, base);
  }
  return base;
}
