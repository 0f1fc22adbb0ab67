import type { TransportBuilder } from './types';

/** MQTT over TLS on 8883: the byte stream is the pinned TLS socket itself. */
export const mqttTransport: TransportBuilder = {
  name: 'mqtt',
  defaultPort: 8883,
  protocol: 'mqtts',
  sdkExport: 'Mqtt',
  proxyable: false,
  openStream: (opener, target) => opener.track(opener.openTls(target)),
};
