import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Message } from 'azure-iot-device';
import { connectDevice, createHubClient, openHubClient, provisionDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { sdkUserAgent } from '../../src/handoff/user-agent';
import { optionsFor, startTestLab } from '../support/provision-lab';

type PlatformString = (done: (platform: string) => void) => void;

/**
 * The azure-iot-common whose getAgentPlatformString azure-iot-device's getUserAgentString calls (read at call time:
 * replacing the export replaces what the hub transport calls on its first connect).
 */
function sdkCommon(): { getAgentPlatformString: PlatformString } {
  const device = path.dirname(require.resolve('azure-iot-device/package.json'));
  return require(require.resolve('azure-iot-common', { paths: [device] })) as {
    getAgentPlatformString: PlatformString;
  };
}

// The SDK's first hub connect of a process asks getos for the Linux distribution: release files stat-ed one by one,
// then `lsb_release -a` (a Python script on Debian and Raspberry Pi OS), all between DPS's answer and the hub
// CONNECT. connectDevice hands the transport the same agent string without that probe; a client the app opens itself
// is left to the SDK, whose setOptions({ productInfo }) must still work before open.
describe('connectDevice: the first hub connection does not wait for the SDK to probe the OS', function () {
  this.timeout(60_000);
  let lab: LabHandle;
  const common = sdkCommon();
  const original = common.getAgentPlatformString;
  let probes = 0;
  before(async () => {
    lab = await startTestLab();
    common.getAgentPlatformString = (done) => {
      probes++;
      original(done);
    };
  });
  beforeEach(() => (probes = 0));
  after(async () => {
    common.getAgentPlatformString = original;
    await lab.close();
  });
  const hubOptions = (): { tls: { ca: string }; port: number } => ({ tls: { ca: lab.caPem }, port: lab.hub.port });

  it('opens the hub and sends telemetry without the SDK probing the OS', async () => {
    const device = await lab.createDevice('ua-connect', 'x509-individual');
    const { client } = await connectDevice(optionsFor(lab, device), hubOptions());
    try {
      await client.sendEvent(new Message('{"boot":true}'));
      assert.equal(probes, 0, 'the SDK asked for its platform string');
    } finally {
      await client.close();
    }
  });

  it('leaves a client the app opens to the SDK: productInfo can still be set before open', async () => {
    const device = await lab.createDevice('ua-app', 'x509-individual');
    const result = await provisionDevice(optionsFor(lab, device));
    const client = createHubClient(result, device.auth, hubOptions());
    try {
      await client.setOptions({ productInfo: 'my-app/1.0' });
      await openHubClient(client);
      assert.equal(probes, 1);
    } finally {
      await client.close();
    }
  });

  it("names the agent in the SDK's format, the OS from os-release", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ua-'));
    try {
      const file = path.join(dir, 'os-release');
      writeFileSync(
        file,
        'PRETTY_NAME="Raspbian GNU/Linux 11 (bullseye)"\nNAME="Raspbian GNU/Linux"\nVERSION_ID="11"\n',
      );
      const { version } = require('azure-iot-device/package.json') as { version: string };
      const osName = process.platform === 'linux' ? 'Raspbian GNU/Linux 11' : `${os.type()} ${os.release()}`;
      assert.equal(
        sdkUserAgent(file),
        `azure-iot-device/${version} (node ${process.version}; ${osName}; ${os.arch()})`,
      );
      const kernel = `${os.type()} ${os.release()}`;
      assert.match(
        sdkUserAgent(path.join(dir, 'missing')),
        new RegExp(`; ${kernel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; `),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
