import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startLab } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { RawClient, dpsResponse } from './helpers/raw-client';
import { provisionInChild } from './helpers/sdk-child';

describe('lab faults', function () {
  this.timeout(30_000);
  let lab: LabHandle;
  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0, wsPort: 0 });
  });
  after(() => lab.close());
  afterEach(() => lab.setFault(undefined));

  describe('seen by the unmodified SDK', () => {
    it('429 twice with retry-after: the SDK retries and then provisions', async () => {
      const device = await lab.createDevice('throttled', 'symmetric-key');
      lab.setFault({ kind: 'throttle', times: 2, retryAfterSeconds: 0 }, { registrationId: 'throttled' });
      const before = lab.counters.registrations;
      const outcome = await provisionInChild(lab, device);
      assert.equal(outcome.ok, true, JSON.stringify(outcome.error));
      assert.equal(lab.counters.registrations - before, 3, 'two throttled registers and one that went through');
    });

    it('a 500 is retried like DPS clients do, then succeeds', async () => {
      const device = await lab.createDevice('five-hundred', 'x509-individual');
      lab.setFault({ kind: 'server-error', times: 1 }, { registrationId: 'five-hundred' });
      const outcome = await provisionInChild(lab, device);
      assert.equal(outcome.ok, true, JSON.stringify(outcome.error));
    });

    it('status failed becomes DeviceRegistrationFailedError', async () => {
      const device = await lab.createDevice('fails', 'symmetric-key');
      lab.setFault({ kind: 'failed', errorMessage: 'no hub linked' }, { registrationId: 'fails' });
      const outcome = await provisionInChild(lab, device);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.error?.name, 'DeviceRegistrationFailedError');
      assert.deepEqual(lab.hubDevices().includes('fails'), false);
    });

    it('a fault scoped to one registration leaves the others alone', async () => {
      const a = await lab.createDevice('scoped-a', 'symmetric-key');
      lab.setFault({ kind: 'failed' }, { registrationId: 'scoped-b' });
      assert.equal((await provisionInChild(lab, a)).ok, true);
    });

    it('a 404 error-status becomes the SDK DeviceNotFoundError', async () => {
      const device = await lab.createDevice('gone', 'symmetric-key');
      lab.setFault({ kind: 'error-status', status: 404 });
      const outcome = await provisionInChild(lab, device);
      assert.equal(outcome.error?.name, 'DeviceNotFoundError');
    });
  });

  describe('seen packet by packet', () => {
    it('register answers 202 assigning with retry-after, poll answers assigned with a full registrationState', async () => {
      const device = await lab.createDevice('by-hand', 'symmetric-key', { deviceId: 'hand-device' });
      const { client, returnCode } = await RawClient.dps(lab, device);
      assert.equal(returnCode, 0);
      const accepted = dpsResponse(await client.register('by-hand'));
      assert.equal(accepted.status, 202);
      assert.equal(accepted.retryAfter, 0);
      const op = JSON.parse(accepted.body) as { operationId: string; status: string };
      assert.equal(op.status, 'assigning');
      const done = dpsResponse(await client.poll(op.operationId));
      assert.equal(done.status, 200);
      const state = (JSON.parse(done.body) as { registrationState: Record<string, unknown> }).registrationState;
      assert.equal(state.assignedHub, lab.hub.host);
      assert.equal(state.deviceId, 'hand-device');
      assert.equal(state.status, 'assigned');
      assert.equal(state.substatus, 'initialAssignment');
      for (const k of ['createdDateTimeUtc', 'lastUpdatedDateTimeUtc', 'etag'])
        assert.equal(typeof state[k], 'string', k);
      assert.deepEqual(lab.hubDevices().includes('hand-device'), true);
      client.close();
    });

    it('drop-after-connack: CONNACK 0, then the connection closes', async () => {
      const device = await lab.createDevice('dropped-early', 'symmetric-key');
      lab.setFault({ kind: 'drop-after-connack', times: 1 });
      const { client, returnCode } = await RawClient.dps(lab, device);
      assert.equal(returnCode, 0);
      assert.equal((await client.next()).cmd, 'closed');
      // times: 1 — the next connection is served
      const again = await RawClient.dps(lab, device);
      assert.equal(dpsResponse(await again.client.register('dropped-early')).status, 202);
      again.client.close();
    });

    it('drop-mid-poll: the register is answered, the poll closes the connection', async () => {
      const device = await lab.createDevice('dropped-poll', 'symmetric-key');
      lab.setFault({ kind: 'drop-mid-poll' }, { registrationId: 'dropped-poll' });
      const { client } = await RawClient.dps(lab, device);
      const op = JSON.parse(dpsResponse(await client.register('dropped-poll')).body) as { operationId: string };
      assert.equal((await client.poll(op.operationId)).cmd, 'closed');
    });

    it('never-answer: the request is acknowledged and never answered', async () => {
      const device = await lab.createDevice('silent', 'symmetric-key');
      lab.setFault({ kind: 'never-answer' });
      const { client } = await RawClient.dps(lab, device);
      await assert.rejects(client.register('silent', '1', 400), /no packet within/);
      client.close();
    });

    it('malformed-json: the response body is not JSON', async () => {
      const device = await lab.createDevice('garbled', 'symmetric-key');
      lab.setFault({ kind: 'malformed-json' });
      const { client } = await RawClient.dps(lab, device);
      const r = dpsResponse(await client.register('garbled'));
      assert.throws(() => JSON.parse(r.body) as unknown, SyntaxError);
      client.close();
    });

    it('oversized-payload: a valid 202 with a body of the requested size', async () => {
      const device = await lab.createDevice('bloated', 'symmetric-key');
      lab.setFault({ kind: 'oversized-payload', bytes: 300_000 });
      const { client } = await RawClient.dps(lab, device);
      const r = dpsResponse(await client.register('bloated'));
      assert.equal(r.status, 202);
      assert.ok(r.body.length > 300_000);
      client.close();
    });
  });

  describe('server certificates', () => {
    const handshake = (lab: LabHandle, address: string, servername: string): Promise<tls.TLSSocket> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: address, port: lab.dps.port, servername, ca: lab.caPem }, () => resolve(s));
        s.once('error', reject);
      });

    it('wrong-san: the DPS certificate no longer covers the DPS name', async () => {
      lab.setFault({ kind: 'wrong-san' });
      await assert.rejects(handshake(lab, lab.dps.address, lab.dps.host), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      lab.setFault(undefined);
      (await handshake(lab, lab.dps.address, lab.dps.host)).destroy();
    });

    it('expired-cert on the hub: the hub certificate has expired, DPS is untouched', async () => {
      lab.setFault({ kind: 'expired-cert', target: 'hub' });
      await assert.rejects(
        new Promise((resolve, reject) => {
          const s = tls.connect(
            { host: lab.hub.address, port: lab.hub.port, servername: lab.hub.host, ca: lab.caPem },
            () => resolve(s),
          );
          s.once('error', reject);
        }),
        { code: 'CERT_HAS_EXPIRED' },
      );
      (await handshake(lab, lab.dps.address, lab.dps.host)).destroy();
    });

    it('the server certificate covers the privatelink name only with privatelinkSans', async () => {
      await assert.rejects(handshake(lab, lab.dps.address, lab.dps.privatelinkHost), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
      const wide = await startLab({ mqttPort: 0, wsPort: 0, privatelinkSans: true, dnsAddress: '127.0.0.54' });
      try {
        (await handshake(wide, wide.dps.address, wide.dps.privatelinkHost)).destroy();
      } finally {
        await wide.close();
      }
    });
  });
});
