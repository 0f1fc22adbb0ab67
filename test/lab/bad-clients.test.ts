import assert from 'node:assert/strict';
import tls from 'node:tls';
import util from 'node:util';
import createDebug from 'debug';
import * as mqttPacket from 'mqtt-packet';
import { startLab } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { RawClient, dpsResponse } from './helpers/raw-client';

/** After each bad client, a good one must still be served: the lab keeps serving others. */
async function stillServes(lab: LabHandle): Promise<void> {
  const device = await lab.createDevice(`good-${Math.random().toString(16).slice(2, 10)}`, 'symmetric-key');
  const { client, returnCode } = await RawClient.dps(lab, device);
  assert.equal(returnCode, 0);
  assert.equal(dpsResponse(await client.register(device.registrationId)).status, 202);
  client.close();
}

describe('lab: bad clients are dropped and the lab keeps serving', () => {
  let lab: LabHandle;
  before(async () => {
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  });
  after(() => lab.close());
  // The CONNACK-5 tests select the 'connack' mode; the default (401 after CONNACK 0) is in answers-like-dps.test.ts.
  afterEach(() => lab.setBehaviour({ badCredentials: 'after-connack' }));

  const raw = (): Promise<RawClient> => RawClient.connect(lab.dps.address, lab.dps.port, lab.dps.host, lab.caPem);

  it('garbage bytes (not MQTT) close the connection with a log line', async () => {
    const lines: string[] = [];
    const saved = { log: createDebug.log, enabled: createDebug.disable() };
    createDebug.enable('dps-private-link:lab:*');
    createDebug.log = (...args: unknown[]) => lines.push(util.format(...args));
    const dropped = lab.counters.dropped;
    try {
      const c = await raw();
      c.socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      assert.equal((await c.next()).cmd, 'closed');
    } finally {
      createDebug.log = saved.log;
      createDebug.disable();
      if (saved.enabled) createDebug.enable(saved.enabled);
    }
    assert.ok(
      lines.some((l) => /dropped: not MQTT/.test(l)),
      lines.join('\n'),
    );
    assert.equal(lab.counters.dropped, dropped + 1);
    await stillServes(lab);
  });

  it('a first packet that is not CONNECT closes the connection', async () => {
    const c = await raw();
    c.send({ cmd: 'pingreq' });
    assert.equal((await c.next()).cmd, 'closed');
    await stillServes(lab);
  });

  it('an MQTT 5 CONNECT gets CONNACK "unacceptable protocol version" and is closed', async () => {
    const c = await raw();
    c.socket.write(
      mqttPacket.generate(
        { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'v5', clean: true, keepalive: 10 },
        { protocolVersion: 5 },
      ),
    );
    const e = await c.next();
    assert.equal(e.cmd, 'connack');
    assert.equal(e.cmd === 'connack' && e.returnCode, 1);
    assert.equal((await c.next()).cmd, 'closed');
    await stillServes(lab);
  });

  it('a wrong username format gets CONNACK 4 (bad username or password)', async () => {
    const device = await lab.createDevice('wrong-username', 'symmetric-key');
    const c = await raw();
    c.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: device.registrationId,
      clean: true,
      keepalive: 10,
      username: 'wrong-username',
      password: Buffer.from('x'),
    });
    const e = await c.next();
    assert.equal(e.cmd === 'connack' && e.returnCode, 4);
    assert.equal((await c.next()).cmd, 'closed');
    await stillServes(lab);
  });

  it('the wrong ID scope in the username gets CONNACK 4', async () => {
    const c = await raw();
    c.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'd',
      clean: true,
      keepalive: 10,
      username: '0ne99999999/registrations/d/api-version=2019-03-31',
    });
    const e = await c.next();
    assert.equal(e.cmd === 'connack' && e.returnCode, 4);
  });

  it('no client certificate and no SAS gets CONNACK 5 (not authorized)', async () => {
    await lab.createDevice('no-cert', 'x509-individual');
    const c = await raw();
    c.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'no-cert',
      clean: true,
      keepalive: 10,
      username: `${lab.dps.idScope}/registrations/no-cert/api-version=2019-03-31`,
    });
    const e = await c.next();
    assert.equal(e.cmd === 'connack' && e.returnCode, 5);
    assert.equal((await c.next()).cmd, 'closed');
    await stillServes(lab);
  });

  it('a certificate whose CN is not the registration id gets CONNACK 5', async () => {
    const other = await lab.createDevice('cn-owner', 'x509-individual');
    const { returnCode } = await RawClient.dps(lab, { registrationId: 'cn-impostor', auth: other.auth });
    assert.equal(returnCode, 5);
  });

  it("badCredentials 'connack': an expired or not-yet-valid device certificate gets CONNACK 5, though its thumbprint is enrolled", async () => {
    lab.setBehaviour({ badCredentials: 'connack' });
    const day = 24 * 3600_000;
    const expired = await lab.createDevice('expired-cert', 'x509-individual', {
      notBefore: new Date(Date.now() - 400 * day),
      notAfter: new Date(Date.now() - day),
    });
    assert.equal((await RawClient.dps(lab, expired)).returnCode, 5);
    const future = await lab.createDevice('future-cert', 'x509-group', {
      notBefore: new Date(Date.now() + day),
      notAfter: new Date(Date.now() + 400 * day),
    });
    assert.equal((await RawClient.dps(lab, future)).returnCode, 5);
  });

  it("badCredentials 'connack': a SAS signed with the wrong key gets CONNACK 5", async () => {
    lab.setBehaviour({ badCredentials: 'connack' });
    await lab.createDevice('sas-victim', 'symmetric-key');
    const { returnCode } = await RawClient.dps(lab, {
      registrationId: 'sas-victim',
      auth: { symmetricKey: Buffer.alloc(64, 1).toString('base64') },
    });
    assert.equal(returnCode, 5);
  });

  it("badCredentials 'connack': re-enrolling replaces the enrollment: the old credentials stop working", async () => {
    lab.setBehaviour({ badCredentials: 'connack' });
    const first = await lab.createDevice('re-enrolled', 'symmetric-key');
    const second = await lab.createDevice('re-enrolled', 'x509-individual');
    assert.equal((await RawClient.dps(lab, first)).returnCode, 5);
    const { client, returnCode } = await RawClient.dps(lab, second);
    assert.equal(returnCode, 0);
    client.close();
  });

  it("badCredentials 'connack': a disabled enrollment gets CONNACK 5", async () => {
    lab.setBehaviour({ badCredentials: 'connack' });
    const device = await lab.createDevice('disabled', 'symmetric-key', { status: 'disabled' });
    const { returnCode } = await RawClient.dps(lab, device);
    assert.equal(returnCode, 5);
  });

  it('an unknown DPS topic closes the connection', async () => {
    const device = await lab.createDevice('odd-topic', 'symmetric-key');
    const { client } = await RawClient.dps(lab, device);
    client.send({
      cmd: 'publish',
      topic: 'devices/odd/messages/events/',
      payload: 'x',
      qos: 0,
      retain: false,
      dup: false,
    });
    assert.equal((await client.nextPublish()).cmd, 'closed');
    await stillServes(lab);
  });

  it('a register body that is not JSON gets 400, the connection stays up', async () => {
    const device = await lab.createDevice('bad-body', 'symmetric-key');
    const { client } = await RawClient.dps(lab, device);
    client.send({
      cmd: 'publish',
      topic: '$dps/registrations/PUT/iotdps-register/?$rid=9',
      payload: '{nope',
      qos: 1,
      messageId: 3,
      retain: false,
      dup: false,
    });
    assert.equal(dpsResponse(await client.nextPublish()).status, 400);
    assert.equal(dpsResponse(await client.register('bad-body')).status, 202);
    client.close();
  });

  it('a register body for another registration id gets 400; polling an unknown operation gets 404', async () => {
    const device = await lab.createDevice('body-mismatch', 'symmetric-key');
    const { client } = await RawClient.dps(lab, device);
    const wrongBody = dpsResponse(await client.register('someone-else'));
    assert.equal(wrongBody.status, 400);
    assert.match(wrongBody.body, /body-mismatch/);
    assert.equal(dpsResponse(await client.poll('4.0000.unknown')).status, 404);
    client.close();
  });

  it('the public twin drops a client that publishes to a non-DPS topic', async () => {
    const c = await RawClient.connect(lab.publicTwin.address, lab.publicTwin.port, lab.dps.host, lab.caPem);
    c.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'x',
      clean: true,
      keepalive: 10,
      username: 'whatever',
    });
    const e = await c.next();
    assert.equal(e.cmd === 'connack' && e.returnCode, 0, 'the public twin accepts CONNECT: only requests get 401');
    c.send({ cmd: 'publish', topic: 'not/dps', payload: 'x', qos: 0, retain: false, dup: false });
    assert.equal((await c.nextPublish()).cmd, 'closed');
  });

  it('a TLS 1.1 client is refused during the handshake', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = tls.connect(
          {
            host: lab.dps.address,
            port: lab.dps.port,
            servername: lab.dps.host,
            ca: lab.caPem,
            minVersion: 'TLSv1',
            maxVersion: 'TLSv1.1',
            ciphers: 'DEFAULT:@SECLEVEL=0',
          },
          () => resolve(s),
        );
        s.once('error', reject);
      }),
      // the server's protocol_version alert, not a client-side refusal to offer TLS 1.1
      { code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' },
    );
    await stillServes(lab);
  });

  it('the WebSocket port answers a plain HTTPS request with 426 and a wrong path with 400, and keeps serving', async () => {
    const https = await import('node:https');
    const get = (p: string, headers: Record<string, string> = {}): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = https.request(
          { host: lab.dps.address, port: lab.dps.wsPort, servername: lab.dps.host, ca: lab.caPem, path: p, headers },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    assert.equal(await get('/$iothub/websocket'), 426);
    assert.equal(
      await get('/elsewhere', {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      }),
      400,
    );
    await stillServes(lab);
  });

  it('the hub refuses a device DPS never assigned, and a wrong hub username', async () => {
    const device = await lab.createDevice('never-provisioned', 'x509-individual');
    const auth = device.auth as { cert: string; key: string };
    const c = await RawClient.connect(lab.hub.address, lab.hub.port, lab.hub.host, lab.caPem, auth);
    c.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'never-provisioned',
      clean: false,
      keepalive: 10,
      username: `${lab.hub.host}/never-provisioned/?api-version=2021-04-12`,
    });
    const e = await c.next();
    assert.equal(e.cmd === 'connack' && e.returnCode, 5);
    const d = await RawClient.connect(lab.hub.address, lab.hub.port, lab.hub.host, lab.caPem, auth);
    d.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'never-provisioned',
      clean: false,
      keepalive: 10,
      username: 'other-hub.azure-devices.net/never-provisioned/?api-version=2021-04-12',
    });
    const f = await d.next();
    assert.equal(f.cmd === 'connack' && f.returnCode, 4);
  });
});
