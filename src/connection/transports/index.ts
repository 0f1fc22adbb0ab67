import type { TransportName } from '../../config/types';
import { mqttTransport } from './mqtt';
import { mqttWsTransport } from './mqtt-ws';
import type { TransportBuilder } from './types';

export type { TransportBuilder, StreamOpener } from './types';

/** Every transport, by the name users pass: the one place `mqtt` vs `mqtt-ws` is decided. */
export const TRANSPORTS: Readonly<Record<TransportName, TransportBuilder>> = {
  mqtt: mqttTransport,
  'mqtt-ws': mqttWsTransport,
};

/** True for a name in {@link TRANSPORTS}. */
export function isTransportName(name: unknown): name is TransportName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(TRANSPORTS, name);
}
