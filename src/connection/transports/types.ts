import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type { TransportName } from '../../config/types';
import type { ConnectTarget } from '../types';

/**
 * What a transport gets from the connection session to build its byte stream: sockets opened here are counted,
 * watched for diagnosis and closed with the session.
 */
export interface StreamOpener {
  /** A pinned TLS socket to `target` (one connection attempt). */
  openTls(target: ConnectTarget): tls.TLSSocket;
  /**
   * A TLS socket to `target` through its CONNECT proxy (one connection attempt); `callback` gets it once the tunnel and
   * the handshake are up, or the diagnosed error.
   */
  openTunnel(target: ConnectTarget, callback: (err: Error | null, socket?: tls.TLSSocket) => void): void;
  /** Tracks a stream built on those sockets so that closing the session destroys it. */
  track<S extends Duplex>(stream: S): S;
}

/**
 * One MQTT transport (MQTT.js v5's pattern: one file per transport behind one builder type, picked from a map once).
 * Everything that differs between `mqtt` and `mqtt-ws` is here and nowhere else.
 */
export interface TransportBuilder {
  /** The name users pass as `transport`. */
  readonly name: TransportName;
  /** The port Azure serves it on: 8883 for MQTT, 443 for MQTT over WebSockets. */
  readonly defaultPort: number;
  /** The URL scheme mqtt.js is told (it decides nothing else: the stream is ours). */
  readonly protocol: 'mqtts' | 'wss';
  /**
   * The class the Azure SDK packages (azure-iot-provisioning-device-mqtt, azure-iot-device-mqtt) export for it; both
   * use the same names.
   */
  readonly sdkExport: 'Mqtt' | 'MqttWs';
  /** Whether it can go through an HTTP CONNECT proxy (WebSockets on 443 can; raw MQTT on 8883 is not proxied). */
  readonly proxyable: boolean;
  /** Builds the byte stream of one MQTT connection to `target` (`path` is the WebSocket path). */
  openStream(opener: StreamOpener, target: ConnectTarget, path: string): Duplex;
}
