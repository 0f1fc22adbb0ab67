import assert from 'node:assert/strict';
import { Message } from 'azure-iot-device';
import { createHubClient, openHubClient, provisionDevice, ProvisioningError } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { startTestProxy } from '../support/proxy';
import { optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

describe('e2e: MQTT-WS through an HTTP CONNECT proxy on loopback', function () {
  let lab: LabHandle;
  let device: LabDevice;
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('proxied-device', 'x509-individual');
  });
  after(() => lab.close());

  // The proxy resolves names itself: here from a fixed map that mirrors the lab's private answer (no system DNS).
  const withProxy = async (
    address: string,
    fn: (proxy: { port: number; connects: string[] }) => Promise<void>,
  ): Promise<void> => {
    const proxy = await startTestProxy(address, { [lab.dps.host]: lab.dps.address, [lab.hub.host]: lab.hub.address });
    try {
      await fn(proxy);
    } finally {
      await proxy.close();
    }
  };

  it('proxy inside the expected ranges: provisions, reports PROXY_IN_PATH as a warning, TLS verified to the DPS name', async () => {
    await withProxy('127.10.0.5', async (proxy) => {
      const before = lab.counters.connections.dps;
      const result = await provisionDevice(
        optionsFor(lab, device, { transport: 'mqtt-ws', proxy: `http://127.10.0.5:${proxy.port}` }),
      );
      assert.equal(result.assignedHub, lab.hub.host);
      const finding = result.findings.find((f) => f.code === 'PROXY_IN_PATH');
      assert.equal(finding?.severity, 'warning');
      assert.deepEqual(proxy.connects, [`${lab.dps.host}:${lab.dps.wsPort}`]);
      assert.equal(lab.counters.connections.dps, before + 1);

      // The hub client takes the same tunnel.
      const client = createHubClient(result, device.auth, {
        tls: { ca: lab.caPem },
        wsPort: lab.hub.wsPort,
        proxy: `http://127.10.0.5:${proxy.port}`,
      });
      await openHubClient(client);
      await client.sendEvent(new Message('through the proxy'));
      await client.close();
      assert.deepEqual(proxy.connects, [`${lab.dps.host}:${lab.dps.wsPort}`, `${lab.hub.host}:${lab.hub.wsPort}`]);
      assert.equal(lab.received(device.deviceId).at(-1)?.payload.toString(), 'through the proxy');
    });
  });

  it('proxy outside the expected ranges under enforce: PROXY_IN_PATH error, refused before connecting', async () => {
    await withProxy('127.30.0.5', async (proxy) => {
      const spy = spyOnConnector();
      try {
        await assert.rejects(
          provisionDevice(
            optionsFor(lab, device, {
              connector: spy.connector,
              transport: 'mqtt-ws',
              proxy: `http://127.30.0.5:${proxy.port}`,
            }),
          ),
          (e: ProvisioningError) => e.code === 'PROXY_IN_PATH' && /127\.30\.0\.5/.test(e.message),
        );
        assert.deepEqual(spy.calls, []);
        assert.deepEqual(proxy.connects, []);
        // The hub client applies the same rule.
        const result = await provisionDevice(optionsFor(lab, device, { connector: spy.connector }));
        assert.throws(
          () =>
            createHubClient(result, device.auth, {
              connector: spy.connector,
              tls: { ca: lab.caPem },
              transport: 'mqtt-ws',
              proxy: `http://127.30.0.5:${proxy.port}`,
            }),
          (e: Error & { code?: string }) => e.code === 'PROXY_IN_PATH',
        );
      } finally {
        spy.restore();
      }
    });
  });

  it('proxy outside the ranges under warn: connects through it, PROXY_IN_PATH stays a warning', async () => {
    await withProxy('127.30.0.5', async (proxy) => {
      const result = await provisionDevice(
        optionsFor(lab, device, {
          transport: 'mqtt-ws',
          proxy: `http://127.30.0.5:${proxy.port}`,
          network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer], policy: 'warn' },
        }),
      );
      assert.equal(result.findings.find((f) => f.code === 'PROXY_IN_PATH')?.severity, 'warning');
      assert.equal(proxy.connects.length, 1);
    });
  });

  it('the proxy lands on a server with the wrong certificate: TLS_HOSTNAME_MISMATCH inside the tunnel', async () => {
    lab.setFault({ kind: 'wrong-san' });
    try {
      await withProxy('127.10.0.5', async (proxy) => {
        await assert.rejects(
          provisionDevice(optionsFor(lab, device, { transport: 'mqtt-ws', proxy: `http://127.10.0.5:${proxy.port}` })),
          (e: ProvisioningError) => e.code === 'TLS_HOSTNAME_MISMATCH',
        );
      });
    } finally {
      lab.setFault(undefined);
    }
  });
});
