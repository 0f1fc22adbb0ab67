import type { ProgressEvent } from '../provision/types';
import { loadMqttBase } from '../connection/mqtt-provider';
import { logger } from '../log';
import { within } from '../support/abort';

const log = logger('handoff');

/**
 * What connectDevice loads while provisioning waits on the network, keyed by the progress step that opens the wait.
 * A cold boot otherwise pays these one after another on the critical path: ~60 ms of SDK modules after the DPS
 * DNS answer, ~7 ms of the hub transport after DPS has assigned, and 25-50 ms of the SDK probing the OS for its user
 * agent just before the hub CONNECT (measured with bench/boot.bench.ts).
 */
const WARM_UPS: Partial<Record<ProgressEvent['step'], (event: ProgressEvent) => void>> = {
  resolving: (event) => {
    // First: the longest of the three, and it waits on the file system and a child process, not on our CPU.
    startUserAgentProbe();
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

/**
 * The user-agent probe under way, shared by concurrent connectDevice calls (a gateway booting many devices would
 * otherwise start one `lsb_release` each); cleared once settled, after which the SDK answers from its own cache.
 */
let probe: Promise<void> | undefined;

/**
 * The SDK's user agent names the Linux distribution. Its `getos` finds it by stat-ing release files one after another
 * and, on Debian-like systems, running `lsb_release -a` (a Python script): tens of milliseconds, paid on the first
 * hub connection, just before the CONNECT. It caches the answer, but a call made while one is under way starts a
 * second probe: see {@link userAgentProbed}.
 */
function startUserAgentProbe(): void {
  if (probe) return;
  const { getUserAgentString } = require('azure-iot-device') as typeof import('azure-iot-device');
  probe = new Promise<void>((resolve) => {
    try {
      getUserAgentString(() => resolve());
    } catch {
      resolve();
    }
  }).then(() => {
    probe = undefined;
  });
}

/**
 * Settles once the probe started by the warm-up has finished (at once when none was started), waiting at most
 * `maxMs`: opening the hub client before then would make the SDK start the same probe again from the beginning.
 */
export async function userAgentProbed(maxMs = 2000): Promise<void> {
  if (probe) await within(probe, maxMs);
}
