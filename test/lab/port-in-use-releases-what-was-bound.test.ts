// startLab binds DNS, then the DPS listeners, then the hub listeners. When a later bind fails, every socket the
// earlier steps bound is closed before the error reaches the caller: checked here against real sockets.
import assert from 'node:assert/strict';
import { startLab } from '../../src/index';
import { bindTcp, bindUdp, closeTcp, closeUdp, freeTcpPort, netHandles, portOf } from './helpers/handles';

const DNS = '127.0.0.53';
const DPS = '127.10.0.10';
const PUBLIC_TWIN = '127.200.0.1';
const HUB = '127.10.0.20';

async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

describe('startLab: a port already in use releases what was already bound', () => {
  it('the hub MQTT port in use: the DNS socket and both DPS listeners are closed again', async () => {
    const blocker = await bindTcp(HUB);
    const port = portOf(blocker);
    const probe = await bindUdp(DNS);
    const dnsPort = portOf(probe);
    await closeUdp(probe);
    try {
      await settle();
      const baseline = netHandles();
      await assert.rejects(startLab({ mqttPort: port, wsPort: 0, dnsPort }), {
        name: 'LabListenError',
        code: 'ERR_LAB_LISTEN',
        option: 'mqttPort',
        message: new RegExp(`${HUB.replace(/\./g, '\\.')}:${port}: the port is in use`),
      });
      await settle();
      assert.equal(netHandles(), baseline, 'no socket or server handle left open');
      // every address:port the failed start had bound is free again
      await closeUdp(await bindUdp(DNS, dnsPort));
      await closeTcp(await bindTcp(DPS, port));
      await closeTcp(await bindTcp(PUBLIC_TWIN, port));
    } finally {
      await closeTcp(blocker);
    }
  });

  it('the DPS WebSocket port in use: the DPS MQTT port bound a moment before is closed again', async () => {
    const blocker = await bindTcp(DPS);
    const wsPort = portOf(blocker);
    const mqttPort = await freeTcpPort(DPS);
    try {
      await settle();
      const baseline = netHandles();
      await assert.rejects(startLab({ mqttPort, wsPort }), { code: 'ERR_LAB_LISTEN', option: 'wsPort' });
      await settle();
      assert.equal(netHandles(), baseline, 'no socket or server handle left open');
      await closeTcp(await bindTcp(DPS, mqttPort));
    } finally {
      await closeTcp(blocker);
    }
  });

  it('after a failed start, a lab starts on the same ports', async () => {
    const blocker = await bindTcp(HUB);
    const port = portOf(blocker);
    await assert.rejects(startLab({ mqttPort: port, wsPort: 0 }), { option: 'mqttPort' });
    await closeTcp(blocker);
    const lab = await startLab({ mqttPort: port, wsPort: 0 });
    try {
      assert.equal(lab.dps.port, port);
      assert.equal(lab.hub.port, port);
    } finally {
      await lab.close();
    }
  });
});
