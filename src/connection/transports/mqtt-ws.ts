import type net from 'node:net';
import type WebSocketType from 'ws';
import { logger } from '../../log';
import type { TransportBuilder } from './types';

const log = logger('connection');

/**
 * MQTT over WebSockets over TLS on 443 (`wss://<host>/$iothub/websocket`). ws's own tls.connect is replaced by the
 * session's: the pinned address, the TLS policy and the proxy tunnel apply here too.
 */
export const mqttWsTransport: TransportBuilder = {
  name: 'mqtt-ws',
  defaultPort: 443,
  protocol: 'wss',
  sdkExport: 'MqttWs',
  proxyable: true,
  openStream(opener, target, path) {
    // Loaded only for mqtt-ws, like the SDK's own transports: an mqtt device never pays for it.
    const WebSocket = require('ws') as typeof WebSocketType;
    const url = `wss://${target.host}:${target.port}${path}`;
    const createConnection = (_opts: unknown, oncreate: (err: Error | null, socket?: net.Socket) => void) => {
      if (!target.proxy) return opener.openTls(target);
      opener.openTunnel(target, (err, socket) => (err ? oncreate(err) : oncreate(null, socket)));
      return undefined;
    };
    const ws = new WebSocket(url, ['mqtt'], {
      perMessageDeflate: false,
      createConnection: createConnection as unknown as typeof import('node:net').createConnection,
    });
    const stream = WebSocket.createWebSocketStream(ws);
    ws.on('close', () => stream.destroy());
    // The stream reports ws errors; keep ws itself from throwing on an unhandled 'error'.
    ws.on('error', (err) => log('websocket %s: %s', target.host, err.message));
    return opener.track(stream);
  },
};
