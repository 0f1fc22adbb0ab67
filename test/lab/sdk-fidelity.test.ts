import assert from 'node:assert/strict';
import { startLab } from '../../src/index';
import type { LabDeviceKind, LabHandle } from '../../src/index';
import { provisionInChild } from './helpers/sdk-child';

// The judge is the unmodified Azure IoT SDK, run in child processes that get names only from the lab DNS and trust
// only the lab CA (NODE_EXTRA_CA_CERTS). MqttWs dials 443, so it needs root (CI runs as root).
const canBind443 = typeof process.getuid === 'function' && process.getuid() === 0;

describe('lab fidelity: the unmodified SDK provisions and sends telemetry', function () {
  this.timeout(30_000);
  let lab: LabHandle;
  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0 });
  });
  after(() => lab.close());

  const kinds: LabDeviceKind[] = ['x509-individual', 'symmetric-key', 'x509-group', 'symmetric-key-group'];
  for (const transport of ['mqtt', 'mqtt-ws'] as const) {
    for (const kind of kinds) {
      it(`${transport} × ${kind}: assigned to the lab hub, then telemetry reaches received()`, async function () {
        if (transport === 'mqtt-ws' && !canBind443) {
          console.log('      skipped: MqttWs always dials port 443, which needs root to bind');
          this.skip();
        }
        const registrationId = `${transport}-${kind}`.replace(/[^a-z0-9-]/g, '-');
        const device = await lab.createDevice(registrationId, kind);
        const before = lab.counters.connections.dps;
        const outcome = await provisionInChild(lab, device, { transport, telemetry: `hello from ${registrationId}` });
        assert.equal(outcome.ok, true, JSON.stringify(outcome.error));
        assert.equal(outcome.assignedHub, 'lab-hub.azure-devices.net');
        assert.equal(outcome.deviceId, registrationId);
        assert.equal(outcome.status, 'assigned');
        assert.equal(outcome.substatus, 'initialAssignment');
        assert.deepEqual(outcome.hub, { ok: true });
        assert.ok(lab.counters.connections.dps > before);
        const got = lab.received(registrationId);
        assert.equal(got.length, 1);
        assert.equal(got[0].payload.toString(), `hello from ${registrationId}`);
        assert.equal(got[0].properties.source, 'fixture');
        assert.equal(got[0].transport, transport);
      });
    }
  }

  for (const transport of ['mqtt', 'mqtt-ws'] as const) {
    for (const kind of ['x509-individual', 'x509-group'] as const) {
      it(`${transport} × ${kind} with an ECC P-256 device key: provisions and sends telemetry`, async function () {
        if (transport === 'mqtt-ws' && !canBind443) {
          console.log('      skipped: MqttWs always dials port 443, which needs root to bind');
          this.skip();
        }
        const registrationId = `ec-${transport}-${kind}`;
        const device = await lab.createDevice(registrationId, kind, { keyType: 'ec' });
        assert.match(device.auth && 'key' in device.auth ? device.auth.key : '', /BEGIN PRIVATE KEY/);
        const outcome = await provisionInChild(lab, device, { transport, telemetry: 'ec' });
        assert.equal(outcome.ok, true, JSON.stringify(outcome.error));
        assert.deepEqual(outcome.hub, { ok: true });
        const got = lab.received(registrationId);
        assert.equal(got.length, 1);
        assert.equal(got[0].transport, transport);
      });
    }
  }

  it('the hub answers twin GET and reported-property PATCH so Client.getTwin() and update() complete', async () => {
    const device = await lab.createDevice('twin-user', 'symmetric-key');
    const outcome = await provisionInChild(lab, device, { telemetry: 'before twin', twin: true });
    assert.deepEqual(outcome.hub, { ok: true, twin: { desiredVersion: 1 } });
  });

  it('the public twin answers 401 after a good TLS handshake: the SDK raises UnauthorizedError', async () => {
    const device = await lab.createDevice('goes-public', 'symmetric-key');
    lab.setDnsView('public');
    try {
      const before = { twin: lab.counters.connections.publicTwin, dps: lab.counters.connections.dps };
      const outcome = await provisionInChild(lab, device);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.error?.name, 'UnauthorizedError');
      assert.equal(lab.counters.connections.publicTwin, before.twin + 1);
      assert.equal(lab.counters.connections.dps, before.dps, 'the private endpoint was never reached');
    } finally {
      lab.setDnsView('private');
    }
  });

  it('a device that is not enrolled: CONNACK 0, then the register is answered 401 (UnauthorizedError), and the lab keeps serving', async () => {
    const stranger = { registrationId: 'not-enrolled', auth: { symmetricKey: Buffer.alloc(64, 7).toString('base64') } };
    const unauthorized = lab.counters.unauthorized;
    const refused = lab.counters.refused;
    const outcome = await provisionInChild(lab, stranger);
    assert.equal(outcome.ok, false);
    // DPS's default for credentials it does not accept: the SDK translates the 401 status, not a CONNACK code
    assert.equal(outcome.error?.name, 'UnauthorizedError', JSON.stringify(outcome.error));
    assert.equal(lab.counters.unauthorized, unauthorized + 1);
    assert.equal(lab.counters.refused, refused, 'CONNECT itself was accepted');
    const device = await lab.createDevice('after-stranger', 'symmetric-key');
    assert.equal((await provisionInChild(lab, device)).ok, true);
  });

  it("badCredentials 'connack': the same stranger is refused at CONNECT (not authorized), surfaced by mqtt.js as is", async () => {
    const stranger = { registrationId: 'not-enrolled', auth: { symmetricKey: Buffer.alloc(64, 7).toString('base64') } };
    const refused = lab.counters.refused;
    lab.setBehaviour({ badCredentials: 'connack' });
    try {
      const outcome = await provisionInChild(lab, stranger);
      assert.equal(outcome.ok, false);
      // the provisioning SDK does not translate MQTT CONNACK codes: it surfaces mqtt.js's error as is
      assert.match(outcome.error?.message ?? '', /Not authorized/i, JSON.stringify(outcome.error));
      assert.equal(lab.counters.refused, refused + 1);
    } finally {
      lab.setBehaviour({ badCredentials: 'after-connack' });
    }
  });

  it("a device clock 2 h behind DPS: the SDK's SAS token (1 h TTL) is already expired by the lab clock, answered 401", async () => {
    const device = await lab.createDevice('skewed-sas', 'symmetric-key');
    const unauthorized = lab.counters.unauthorized;
    lab.setClockOffset(2 * 3600_000);
    try {
      const outcome = await provisionInChild(lab, device);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.error?.name, 'UnauthorizedError', JSON.stringify(outcome.error));
      assert.equal(lab.counters.unauthorized, unauthorized + 1);
    } finally {
      lab.setClockOffset(0);
    }
    assert.equal((await provisionInChild(lab, device)).ok, true, 'the same device provisions once the clocks agree');
  });

  it('the hub reached at its public address refuses the device (CONNACK not authorized)', async () => {
    const device = await lab.createDevice('hub-goes-public', 'symmetric-key');
    lab.setDnsView('public', 'hub');
    try {
      const outcome = await provisionInChild(lab, device, { telemetry: 'lost' });
      assert.equal(outcome.ok, true);
      assert.equal(outcome.hub?.ok, false);
      assert.equal(outcome.hub?.error?.name, 'UnauthorizedError');
      assert.equal(lab.counters.connections.hubPublic, 1);
      assert.equal(lab.received('hub-goes-public').length, 0);
    } finally {
      lab.setDnsView('private', 'hub');
    }
  });
});
