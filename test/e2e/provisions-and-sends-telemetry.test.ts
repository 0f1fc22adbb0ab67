import assert from 'node:assert/strict';
import { Message } from 'azure-iot-device';
import { createHubClient, openHubClient, provisionDevice } from '../../src/index';
import type { LabDeviceKind, LabHandle, ProgressStep } from '../../src/index';
import { optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// One suite for both transports (as MQTT.js runs its abstract client suite per transport).
describe('e2e: provisionDevice through the private endpoint, then telemetry through the pinned hub client', function () {
  this.timeout(20_000);
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  const kinds: LabDeviceKind[] = ['x509-individual', 'x509-group', 'symmetric-key'];
  for (const transport of ['mqtt', 'mqtt-ws'] as const) {
    for (const kind of kinds) {
      it(`${transport} × ${kind}: assigned, verified, TLS ≥ 1.2, and the hub receives the message`, async () => {
        const device = await lab.createDevice(`e2e-${transport}-${kind}`, kind);
        const steps: ProgressStep[] = [];
        const before = { ...lab.counters.connections };
        const spy = spyOnConnector();
        try {
          // Deep-frozen: any write to the caller's options would throw here.
          const result = await provisionDevice(
            deepFreeze(optionsFor(lab, device, { transport, onProgress: (e) => steps.push(e.step) })),
          );
          assert.equal(result.assignedHub, lab.hub.host);
          assert.equal(result.deviceId, device.deviceId);
          assert.equal(result.fromCache, false);
          assert.equal(result.dps.verdict, 'private-in-vnet');
          assert.equal(result.hub.verdict, 'private-in-vnet');
          assert.match(result.tls.protocol, /^TLSv1\.[23]$/);
          assert.deepEqual(
            result.findings.filter((f) => f.severity === 'error'),
            [],
          );
          assert.deepEqual(steps, [
            'resolving',
            'verified',
            'connecting',
            'tls',
            'registering',
            'assigned',
            'hub-verified',
          ]);
          assert.equal(lab.counters.connections.dps, before.dps + 1);
          assert.equal(lab.counters.connections.publicTwin, before.publicTwin);

          const client = createHubClient(result, device.auth, {
            tls: { ca: lab.caPem },
            port: lab.hub.port,
            wsPort: lab.hub.wsPort,
          });
          await openHubClient(client);
          await client.sendEvent(new Message(`hello ${transport} ${kind}`));
          await client.close();
          const got = lab.received(device.deviceId);
          assert.equal(got.length, 1);
          assert.equal(got[0].payload.toString(), `hello ${transport} ${kind}`);
          assert.equal(got[0].transport, transport);
          assert.equal(lab.counters.connections.hub, before.hub + 1);
          assert.equal(lab.counters.connections.hubPublic, before.hubPublic);
          // Exactly two sockets, both through the one connector, both to verified private addresses.
          assert.deepEqual(
            spy.calls.map((c) => c.split(' ')[2].split(':')[0]),
            [lab.dps.address, lab.hub.address],
          );
        } finally {
          spy.restore();
        }
      });
    }
  }
});
