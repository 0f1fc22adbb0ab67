import assert from 'node:assert/strict';
import net from 'node:net';
import { startLab } from '../../src/index';
import { RawClient } from './helpers/raw-client';

/** Active handles that are sockets or servers (timers and the process's own pipes aside). */
function netHandles(): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (h) =>
      h instanceof net.Socket ||
      h instanceof net.Server ||
      (h as { constructor?: { name?: string } }).constructor?.name === 'Socket',
  ).length;
}

describe('lab close()', () => {
  it('releases every socket, including live client connections, and the ports can be bound again', async () => {
    const baseline = netHandles();
    const lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
    const device = await lab.createDevice('lingering', 'symmetric-key');
    const { client, returnCode } = await RawClient.dps(lab, device);
    assert.equal(returnCode, 0);
    const ports = { dps: lab.dps.port, dns: lab.dns.port };
    await lab.close();
    assert.equal((await client.next()).cmd, 'closed', 'the lab closed the client connection');
    await new Promise((r) => setImmediate(r));
    assert.equal(netHandles(), baseline, 'no socket or server handle left open');
    // the same ports again: nothing still holds them
    const again = await startLab({ mqttPort: ports.dps, wsPort: 0, dnsPort: ports.dns });
    await again.close();
    await again.close(); // idempotent
  });
});
