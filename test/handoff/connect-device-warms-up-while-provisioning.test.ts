import assert from 'node:assert/strict';
import path from 'node:path';
import { connectDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';

type PlatformString = (done: (platform: string) => void) => void;

/**
 * The azure-iot-common that azure-iot-device's getUserAgentString reads getAgentPlatformString from (at call time, so
 * replacing the export replaces what the hub transport calls on connect).
 */
function sdkCommon(): { getAgentPlatformString: PlatformString } {
  const device = path.dirname(require.resolve('azure-iot-device/package.json'));
  return require(require.resolve('azure-iot-common', { paths: [device] })) as {
    getAgentPlatformString: PlatformString;
  };
}

/**
 * Stands in for the SDK's OS probe (getos: release files, then `lsb_release -a`) as it behaves on a cold process:
 * slow the first time, cached once answered, and started again from scratch by a call made while one runs.
 */
function slowPlatformProbe(events: string[], ms: number): PlatformString {
  let answered = false;
  let running = false;
  return (done) => {
    if (answered) {
      events.push('probe answered from cache');
      return done('fake-os');
    }
    events.push(running ? 'second probe started' : 'probe started');
    running = true;
    setTimeout(() => {
      running = false;
      answered = true;
      events.push('probe done');
      done('fake-os');
    }, ms);
  };
}

// On a cold boot the hub transport's first connect waits for the SDK's OS probe (tens of milliseconds, a child
// process on Debian) right before its CONNECT. connectDevice starts it while provisioning waits on DPS, and opens the
// hub only once it has answered, so the transport finds the answer cached instead of probing again.
describe('connectDevice: the hub connection does not wait on work that could run during provisioning', function () {
  this.timeout(60_000);
  let lab: LabHandle;
  const common = sdkCommon();
  const original = common.getAgentPlatformString;
  before(async () => {
    lab = await startTestLab();
  });
  after(async () => {
    common.getAgentPlatformString = original;
    await lab.close();
  });

  it("starts the SDK's OS probe before DPS assigns, and the hub transport then reads it from cache", async () => {
    const device = await lab.createDevice('warm-up-1', 'x509-individual');
    const events: string[] = [];
    // Long enough that a probe started only at the hub connect, or a second one, shows in the order of events.
    common.getAgentPlatformString = slowPlatformProbe(events, 1500);
    const options = optionsFor(lab, device, { onProgress: (e) => events.push(`step ${e.step}`) });
    const { client } = await connectDevice(options, { tls: { ca: lab.caPem }, port: lab.hub.port });
    try {
      assert.ok(events.includes('probe started'), events.join(', '));
      assert.ok(events.indexOf('probe started') < events.indexOf('step assigned'), events.join(', '));
      assert.ok(!events.includes('second probe started'), events.join(', '));
      assert.equal(events.at(-1), 'probe answered from cache', events.join(', '));
    } finally {
      await client.close();
    }
  });
});
