// The TCP and TLS checks' lines name the port they probed: a technician who moved it with --port / --ws-port /
// --hub-port / --hub-ws-port must not read "8883" for a probe of another port. --list keeps the default ports.
import assert from 'node:assert/strict';
import { startLab } from '../../src/lab/lab';
import type { LabHandle } from '../../src/lab/types';
import { jsonOf, labDeviceArgs, runCli } from './cli-helper';
import { put, tempDir } from './fixtures';

describe('dps-check: TCP and TLS titles name the port in use (lab)', function () {
  this.timeout(90_000);
  let lab: LabHandle;
  let args: string[];
  const dir = tempDir('dps-check-titles-');

  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0, mqttPort: 0, wsPort: 0 });
    const d = await lab.createDevice('titles-dev', 'symmetric-key');
    assert.ok('symmetricKey' in d.auth);
    args = [...labDeviceArgs(lab, put(dir, 'lab-ca.pem', lab.caPem), d.registrationId), '--register'];
    // Ephemeral ports: titles naming 8883 and 443 would pass by accident on the default ones.
    for (const p of [lab.dps.port, lab.dps.wsPort, lab.hub.port, lab.hub.wsPort]) assert.ok(p !== 8883 && p !== 443);
    process.env['TITLES_KEY'] = d.auth.symmetricKey;
  });
  after(async () => {
    delete process.env['TITLES_KEY'];
    await lab?.close();
  });

  it('text and JSON say the ports passed, not 8883 and 443', async () => {
    const env = { DPS_SYMMETRIC_KEY: process.env['TITLES_KEY'] as string };
    const expected: Record<string, string> = {
      'dps-tcp-mqtt': `DPS reachable on TCP ${lab.dps.port} (MQTT)`,
      'dps-tcp-websocket': `DPS reachable on TCP ${lab.dps.wsPort} (MQTT over WebSockets)`,
      'dps-tls-mqtt': `DPS TLS on ${lab.dps.port}:`,
      'dps-tls-websocket': `DPS TLS on ${lab.dps.wsPort}:`,
      'hub-tcp-mqtt': `Assigned hub reachable on TCP ${lab.hub.port} (MQTT)`,
      'hub-tcp-websocket': `Assigned hub reachable on TCP ${lab.hub.wsPort} (MQTT over WebSockets)`,
      'hub-tls-mqtt': `Assigned hub TLS on ${lab.hub.port}:`,
      'hub-tls-websocket': `Assigned hub TLS on ${lab.hub.wsPort}:`,
    };
    const doc = jsonOf(await runCli([...args, '--json'], env));
    for (const [id, title] of Object.entries(expected)) {
      const c = doc.checks.find((x) => x.id === id) as { result: string; title?: string } | undefined;
      assert.equal(c?.result, 'ok', `${id}: ${JSON.stringify(c)}`);
      assert.ok(c.title?.startsWith(title), `${id}: ${c.title}`);
    }
    const text = (await runCli(args, env)).stdout.replace(/\s+/g, ' ');
    for (const [id, title] of Object.entries(expected)) assert.ok(text.includes(`${id}: ${title}`), `${id}\n${text}`);
    assert.doesNotMatch(text, /\b(8883|443)\b/);
  });

  it('--list keeps the default ports', async () => {
    const list = (await runCli(['--list'])).stdout;
    assert.match(list, /dps-tcp-mqtt +network +DPS reachable on TCP 8883 \(MQTT\)/);
    assert.match(list, /hub-tls-websocket +hub +Assigned hub TLS on 443:/);
  });
});
