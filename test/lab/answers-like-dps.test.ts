// The lab answers as real DPS does (design.md §2 "What real DPS answers"), seen packet by packet with a hand-driven
// MQTT client (no SDK, no wrapper) and, for the statuses, by the unmodified SDK in a child process.
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { Message } from 'azure-iot-device';
import { createHubClient, openHubClient, provisionDevice, startLab } from '../../src/index';
import { optionsFor } from '../support/provision-lab';
import type { LabDevice, LabHandle } from '../../src/index';
import { RawClient, dpsResponse } from './helpers/raw-client';
import { provisionInChild } from './helpers/sdk-child';

type Json = Record<string, unknown>;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Assert DPS's error body shape: errorCode, trackingId, message, timestampUtc — and return it. */
function errorBody(body: string, errorCode: number): Json {
  const json = JSON.parse(body) as Json;
  assert.equal(json['errorCode'], errorCode, body);
  assert.match(String(json['trackingId']), /^[0-9a-f-]{36}$/);
  assert.equal(typeof json['message'], 'string');
  assert.match(String(json['timestampUtc']), ISO);
  return json;
}

describe('lab: answers like DPS', function () {
  this.timeout(20_000);
  let lab: LabHandle;
  before(async () => {
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  });
  after(() => lab.close());
  afterEach(() => {
    lab.setFault(undefined);
    lab.setBehaviour({ badCredentials: 'after-connack', responseQueryOrder: 'rid-first' });
  });

  let n = 0;
  const fresh = (kind: LabDevice['kind'] = 'symmetric-key', options = {}) =>
    lab.createDevice(`answers-${++n}`, kind, options);

  /** CONNECT, register, and (when 202) poll once: every answer on the way. */
  async function run(device: Pick<LabDevice, 'registrationId' | 'auth'>): Promise<{
    returnCode: number;
    register?: ReturnType<typeof dpsResponse>;
    poll?: ReturnType<typeof dpsResponse>;
  }> {
    const { client, returnCode } = await RawClient.dps(lab, device);
    try {
      if (returnCode !== 0) return { returnCode };
      const register = dpsResponse(await client.register(device.registrationId));
      if (register.status !== 202) return { returnCode, register };
      const { operationId } = JSON.parse(register.body) as { operationId: string };
      return { returnCode, register, poll: dpsResponse(await client.poll(operationId)) };
    } finally {
      client.close();
    }
  }

  describe('bad credentials', () => {
    it('a wrong SAS key: CONNACK 0, then the register is answered on res/401/ with 401002 and the error body', async () => {
      const victim = await fresh();
      const before = { unauthorized: lab.counters.unauthorized, refused: lab.counters.refused };
      const r = await run({
        registrationId: victim.registrationId,
        auth: { symmetricKey: Buffer.alloc(64, 9).toString('base64') },
      });
      assert.equal(r.returnCode, 0);
      assert.equal(r.register?.status, 401);
      assert.equal(errorBody(r.register.body, 401002)['message'], 'Unauthorized');
      assert.equal(lab.counters.unauthorized, before.unauthorized + 1);
      assert.equal(lab.counters.refused, before.refused);
    });

    it('a certificate DPS does not know: CONNACK 0, then 401002 "Invalid certificate."', async () => {
      const enrolled = await fresh('x509-individual');
      const stranger = await lab.createDevice(enrolled.registrationId, 'x509-individual');
      const r = await run({ registrationId: enrolled.registrationId, auth: enrolled.auth });
      assert.equal(r.returnCode, 0);
      assert.equal(r.register?.status, 401);
      assert.equal(errorBody(r.register.body, 401002)['message'], 'Invalid certificate.');
      // the newly enrolled certificate is accepted
      assert.equal((await run(stranger)).register?.status, 202);
    });

    it("badCredentials 'connack': the same wrong key is refused with CONNACK 5", async () => {
      const victim = await fresh();
      lab.setBehaviour({ badCredentials: 'connack' });
      const r = await run({
        registrationId: victim.registrationId,
        auth: { symmetricKey: Buffer.alloc(64, 9).toString('base64') },
      });
      assert.equal(r.returnCode, 5);
    });

    it('an inconsistent CONNECT (certificate CN ≠ registration id) gets CONNACK 5 in the default mode too', async () => {
      const owner = await fresh('x509-individual');
      assert.equal((await run({ registrationId: 'someone-else', auth: owner.auth })).returnCode, 5);
    });

    it('an unsupported api-version in the username: 400 with 400004', async () => {
      const device = await fresh();
      lab.setBehaviour({ apiVersions: ['2021-06-01'] });
      try {
        const r = await run(device);
        assert.equal(r.register?.status, 400);
        assert.match(String(errorBody(r.register.body, 400004)['message']), /2019-03-31/);
      } finally {
        lab.setBehaviour({ apiVersions: ['2019-03-31', '2021-06-01', '2021-10-01', '2022-02-01', '2022-12-01'] });
      }
    });
  });

  describe('registration statuses', () => {
    it('disabled individual enrollment: 200, status disabled, empty operationId, registrationState with id and status only', async () => {
      const device = await fresh('symmetric-key', { status: 'disabled' });
      const r = await run(device);
      assert.equal(r.returnCode, 0);
      assert.equal(r.register?.status, 200);
      assert.deepEqual(JSON.parse(r.register.body), {
        operationId: '',
        status: 'disabled',
        registrationState: { registrationId: device.registrationId, status: 'disabled' },
      });
    });

    it('disabled group: every member gets status disabled; enabling it again lets them through', async () => {
      const member = await fresh('symmetric-key-group');
      lab.setEnrollmentGroup('symmetric-key-group', { status: 'disabled' });
      try {
        assert.equal(JSON.parse((await run(member)).register?.body ?? '{}').status, 'disabled');
      } finally {
        lab.setEnrollmentGroup('symmetric-key-group', { status: 'enabled' });
      }
      assert.equal((await run(member)).register?.status, 202);
    });

    it('allocation failure: 202 assigning, then 200 status failed with errorCode and errorMessage in registrationState', async () => {
      const device = await fresh('x509-individual', {
        allocationFailure: { errorCode: 400207, errorMessage: 'Custom allocation failed.' },
      });
      const r = await run(device);
      assert.equal(r.register?.status, 202);
      assert.equal(r.poll?.status, 200);
      const body = JSON.parse(r.poll.body) as { status: string; registrationState: Json };
      assert.equal(body.status, 'failed');
      assert.equal(body.registrationState['errorCode'], 400207);
      assert.equal(body.registrationState['errorMessage'], 'Custom allocation failed.');
      assert.equal(body.registrationState['status'], 'failed');
      assert.match(String(body.registrationState['lastUpdatedDateTimeUtc']), ISO);
    });

    it('group allocation failure (400209) applies to every member of the x509 group', async () => {
      const member = await fresh('x509-group');
      lab.setEnrollmentGroup('x509-group', {
        allocationFailure: { errorCode: 400209, errorMessage: 'Hub refused DPS.' },
      });
      try {
        const body = JSON.parse((await run(member)).poll?.body ?? '{}') as { registrationState: Json };
        assert.equal(body.registrationState['errorCode'], 400209);
      } finally {
        lab.setEnrollmentGroup('x509-group', { allocationFailure: null });
      }
    });

    it('assigned: the full registrationState (timestamps, etag, substatus, symmetricKey, payload echo)', async () => {
      const device = await fresh('symmetric-key', { substatus: 'reprovisionedToInitialAssignment' });
      const { client } = await RawClient.dps(lab, device);
      try {
        client.send({
          cmd: 'publish',
          topic: '$dps/registrations/PUT/iotdps-register/?$rid=7',
          payload: JSON.stringify({ registrationId: device.registrationId, payload: { site: 'north' } }),
          qos: 1,
          messageId: 7,
          retain: false,
          dup: false,
        });
        const { operationId } = JSON.parse(dpsResponse(await client.nextPublish()).body) as { operationId: string };
        const poll = dpsResponse(await client.poll(operationId));
        const state = (JSON.parse(poll.body) as { registrationState: Json }).registrationState;
        assert.equal(state['status'], 'assigned');
        assert.equal(state['substatus'], 'reprovisionedToInitialAssignment');
        assert.equal(state['assignedHub'], lab.hub.host);
        assert.equal(state['deviceId'], device.deviceId);
        assert.match(String(state['createdDateTimeUtc']), ISO);
        assert.match(String(state['lastUpdatedDateTimeUtc']), ISO);
        assert.ok(String(state['etag']).length > 10);
        assert.deepEqual(state['symmetricKey'], {});
        assert.deepEqual(state['payload'], { site: 'north' });
      } finally {
        client.close();
      }
    });

    it('an X.509 group member: registrationState.x509 names the enrollment group', async () => {
      const member = await fresh('x509-group');
      const state = (JSON.parse((await run(member)).poll?.body ?? '{}') as { registrationState: Json })
        .registrationState;
      assert.deepEqual(state['x509'], { enrollmentGroupId: 'lab-x509-group' });
    });

    it('status fault: unassigned answered as DPS shapes it', async () => {
      const device = await fresh();
      lab.setFault({ kind: 'status', status: 'unassigned' }, { registrationId: device.registrationId });
      const body = JSON.parse((await run(device)).poll?.body ?? '{}') as Json;
      assert.deepEqual(body['registrationState'], { registrationId: device.registrationId, status: 'unassigned' });
    });

    it('polling an operation DPS does not know: 404 with 404202', async () => {
      const device = await fresh();
      const { client } = await RawClient.dps(lab, device);
      try {
        const r = dpsResponse(await client.poll('4.0000.not-an-operation'));
        assert.equal(r.status, 404);
        errorBody(r.body, 404202);
      } finally {
        client.close();
      }
    });
  });

  describe('errors with DPS body shape and topics in either order', () => {
    for (const [status, errorCode] of [
      [400, 400004],
      [404, 404201],
      [409, 409203],
      [412, 412002],
    ] as const) {
      it(`error-status ${status}: DPS's body with errorCode ${errorCode} by default`, async () => {
        const device = await fresh();
        lab.setFault({ kind: 'error-status', status }, { registrationId: device.registrationId });
        const r = await run(device);
        assert.equal(r.register?.status, status);
        errorBody(r.register.body, errorCode);
      });
    }

    it('429 carries retry-after; 5xx too', async () => {
      const device = await fresh();
      lab.setFault({ kind: 'throttle', times: 1, retryAfterSeconds: 3 }, { registrationId: device.registrationId });
      const r = await run(device);
      assert.equal(r.register?.status, 429);
      assert.equal(r.register.retryAfter, 3);
      errorBody(r.register.body, 429001);
      lab.setFault({ kind: 'server-error', status: 503, times: 1 }, { registrationId: device.registrationId });
      const s = await run(device);
      assert.equal(s.register?.status, 503);
      assert.equal(s.register.retryAfter, 0);
    });

    it("responseQueryOrder 'retry-after-first': res/202/?retry-after=0&$rid=1", async () => {
      const device = await fresh();
      lab.setBehaviour({ responseQueryOrder: 'retry-after-first' });
      const { client } = await RawClient.dps(lab, device);
      try {
        const e = await client.register(device.registrationId, '1');
        assert.equal(e.cmd === 'publish' && e.topic, '$dps/registrations/res/202/?retry-after=0&$rid=1');
      } finally {
        client.close();
      }
    });

    it('requests with their query in any order are understood: operationId before $rid', async () => {
      const device = await fresh();
      const { client } = await RawClient.dps(lab, device);
      try {
        const { operationId } = JSON.parse(dpsResponse(await client.register(device.registrationId)).body) as {
          operationId: string;
        };
        client.send({
          cmd: 'publish',
          topic: `$dps/registrations/GET/iotdps-get-operationstatus/?operationId=${operationId}&$rid=9`,
          payload: ' ',
          qos: 1,
          messageId: 9,
          retain: false,
          dup: false,
        });
        const e = await client.nextPublish();
        assert.equal(e.cmd === 'publish' && e.topic, '$dps/registrations/res/200/?$rid=9');
      } finally {
        client.close();
      }
    });
  });
});

describe('lab: hub details', () => {
  /** Resolve through the lab DNS server only (never the system resolver). */
  const resolver = (lab: LabHandle): dns.promises.Resolver => {
    const r = new dns.promises.Resolver({ timeout: 500, tries: 1 });
    r.setServers([lab.dnsServer]);
    return r;
  };

  it("the hub's Event Hub-compatible endpoint resolves through privatelink.servicebus.windows.net to the hub's private address", async () => {
    const lab = await startLab({ mqttPort: 0, wsPort: 0 });
    try {
      const r = resolver(lab);
      assert.match(lab.hub.eventHubHost, /^iothub-ns-lab-hub-\d+\.servicebus\.windows\.net$/);
      const [cname] = await r.resolveCname(lab.hub.eventHubHost);
      assert.ok(cname.endsWith('.privatelink.servicebus.windows.net'), cname);
      assert.deepEqual(await r.resolve4(lab.hub.eventHubHost), [lab.hub.address]);
    } finally {
      await lab.close();
    }
  });

  it("hubHostnameStyle 'device': DPS assigns <hub>.device.azure-devices.net, which resolves privately and the device reaches", async () => {
    const lab = await startLab({
      mqttPort: 0,
      wsPort: 0,
      retryAfterSeconds: 0,
      hubHostnameStyle: 'device',
      dnsAddress: '127.0.0.55',
    });
    try {
      assert.equal(lab.hub.host, 'lab-hub.device.azure-devices.net');
      assert.deepEqual(await resolver(lab).resolve4(lab.hub.host), [lab.hub.address]);
      const device = await lab.createDevice('device-style', 'symmetric-key');
      const { client } = await RawClient.dps(lab, device);
      try {
        const { operationId } = JSON.parse(dpsResponse(await client.register(device.registrationId)).body) as {
          operationId: string;
        };
        const state = (JSON.parse(dpsResponse(await client.poll(operationId)).body) as { registrationState: Json })
          .registrationState;
        assert.equal(state['assignedHub'], 'lab-hub.device.azure-devices.net');
      } finally {
        client.close();
      }
      // Through the wrapper: the newer name is verified like the classic one, and the hub serves it.
      const other = await lab.createDevice('device-style-2', 'symmetric-key');
      const result = await provisionDevice(optionsFor(lab, other, { port: lab.dps.port }));
      assert.equal(result.assignedHub, 'lab-hub.device.azure-devices.net');
      assert.equal(result.hub.verdict, 'private-in-vnet');
      assert.deepEqual(
        result.findings.filter((f) => f.severity === 'error'),
        [],
      );
      const hub = createHubClient(result, other.auth, { tls: { ca: lab.caPem }, port: lab.hub.port });
      await openHubClient(hub, { timeoutMs: 5000 });
      await hub.sendEvent(new Message('via the device. name'));
      await hub.close();
      assert.equal(lab.received(other.deviceId).length, 1);
    } finally {
      await lab.close();
    }
  });
});

describe('lab: the unmodified SDK sees the same statuses', function () {
  // The SDK always dials 8883: a lab on the default ports (each test file's labs are closed before the next starts).
  this.timeout(30_000);
  let lab: LabHandle;
  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0 });
  });
  after(() => lab.close());
  let n = 0;
  const fresh = (kind: LabDevice['kind'] = 'symmetric-key', options = {}) =>
    lab.createDevice(`sdk-status-${++n}`, kind, options);

  it('a disabled enrollment: the SDK raises its own SyntaxError("status is disabled") — the lab sent well-formed JSON', async () => {
    const device = await fresh('symmetric-key', { status: 'disabled' });
    const outcome = await provisionInChild(lab, device);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.error?.name, 'SyntaxError', JSON.stringify(outcome.error));
    assert.match(outcome.error?.message ?? '', /status is disabled/);
  });

  it('an allocation failure: DeviceRegistrationFailedError', async () => {
    const device = await fresh('symmetric-key', {
      allocationFailure: { errorCode: 400208, errorMessage: 'No linked hub.' },
    });
    const outcome = await provisionInChild(lab, device);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.error?.name, 'DeviceRegistrationFailedError', JSON.stringify(outcome.error));
  });
});
