import type { ProgressEvent } from '../provision/types';
import { loadMqttBase } from '../connection/mqtt-provider';
import { logger } from '../log';

const log = logger('handoff');

/**
 * What connectDevice loads while provisioning waits on the network, keyed by the progress step that opens the wait.
 * A cold boot otherwise pays them one after the other on the critical path: ~55 ms of SDK modules after the DPS DNS
 * answer, ~5 ms of the hub transport after DPS has assigned (2-core device, bench/boot.bench.ts). On loopback the
 * waits are shorter than the loading; behind a VPN a DNS or TLS round trip alone is tens of milliseconds.
 */
const WARM_UPS: Partial<Record<ProgressEvent['step'], (event: ProgressEvent) => void>> = {
  resolving: (event) => {
    // From the cache there is no DPS connection: its packages would be loaded for nothing.
    if (event.detail.fromCache === true) return;
    require('azure-iot-provisioning-device-mqtt');
    loadMqttBase('azure-iot-provisioning-device-mqtt');
    require('mqtt');
  },
  tls: () => {
    require('azure-iot-device-mqtt');
    loadMqttBase('azure-iot-device-mqtt');
  },
};

/**
 * Schedules the warm-up for `event` on the next turn of the event loop: by then provisioning has put the packet that
 * opens the wait (DNS query, MQTT CONNECT) on the wire, and the loading overlaps the round trip instead of delaying
 * it. Each step warms up at most once per returned function (one per connectDevice call).
 */
export function warmUpDuring(): (event: ProgressEvent) => void {
  const done = new Set<string>();
  return (event) => {
    const warm = WARM_UPS[event.step];
    if (!warm || done.has(event.step)) return;
    done.add(event.step);
    setImmediate(() => {
      try {
        warm(event);
      } catch (err) {
        // Only a head start: the same require on the path itself reports a missing or broken package.
        log('warm-up at %s failed: %s', event.step, (err as Error)?.message ?? String(err));
      }
    });
  };
}
