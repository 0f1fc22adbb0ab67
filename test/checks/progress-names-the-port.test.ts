// The progress line shows the title the check has in this run (the port it really dials), not the registry default.
import assert from 'node:assert/strict';
import { startProgress } from '../../src/checks/progress';
import { CHECKS } from '../../src/checks/registry';

describe('dps-check progress line', () => {
  it('names the title given for this run: TCP 18883 when --port moved it', async () => {
    const check = CHECKS.find((c) => c.id === 'dps-tcp-mqtt');
    assert.ok(check);
    let written = '';
    const progress = startProgress({ write: (s: string) => (written += s) }, 200, 20);
    progress.started(check, 'DPS reachable on TCP 18883 (MQTT)');
    await new Promise((r) => setTimeout(r, 120));
    progress.stop();
    assert.match(written, /… dps-tcp-mqtt: DPS reachable on TCP 18883 \(MQTT\) \(\d+ s\)/);
    assert.doesNotMatch(written, /TCP 8883/);
  });
});
