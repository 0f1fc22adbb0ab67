// Every DPS outcome the lab can stage, each through provisionDevice with the right code, run once per transport (as
// MQTT.js runs test/node/abstract_client.ts from each transport's file): test/transports/mqtt.test.ts and
// mqtt-ws.test.ts call outcomesSuite(). The lab answers as real DPS does (design.md §2 "What real DPS answers"); each
// row says what the lab did and which finding the device must get.
import assert from 'node:assert/strict';
import {
  createHubClient,
  HubConnectionError,
  openHubClient,
  provisionDevice,
  ProvisioningError,
} from '../../src/index';
import type {
  LabDevice,
  LabDeviceKind,
  LabDeviceOptions,
  LabFault,
  LabHandle,
  ProvisionOptions,
  TransportName,
} from '../../src/index';
import { optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

/** One outcome: how the lab is set up for a fresh device, and what provisionDevice must report. */
interface Row {
  name: string;
  kind?: LabDeviceKind;
  device?: LabDeviceOptions;
  fault?: LabFault;
  /** Lab set-up beyond a fault on the device; returns the undo. */
  arrange?: (lab: LabHandle, device: LabDevice) => (() => void) | void;
  /** Credentials to use instead of the device's own. */
  auth?: (lab: LabHandle, device: LabDevice) => Promise<ProvisionOptions['auth']>;
  code: string;
  /** The finding after the primary one (a documented limit behind a failed status). */
  related?: string;
  check?: (err: ProvisioningError, lab: LabHandle, device: LabDevice) => void;
}

const allocationFailed = (errorCode: number, errorMessage: string): LabDeviceOptions => ({
  allocationFailure: { errorCode, errorMessage },
});

const ROWS: Row[] = [
  {
    name: 'a SAS signed with a key DPS does not know: CONNACK 0, then 401 401002 → DPS_UNAUTHORIZED quoting DPS',
    auth: async () => ({ symmetricKey: Buffer.alloc(64, 3).toString('base64') }),
    code: 'DPS_UNAUTHORIZED',
    check: (err) => assert.match(err.message, /errorCode 401002 Unauthorized/),
  },
  {
    name: "the same with badCredentials 'connack' (CONNACK 5) → DPS_UNAUTHORIZED as well",
    arrange: (lab) => {
      lab.setBehaviour({ badCredentials: 'connack' });
      return () => lab.setBehaviour({ badCredentials: 'after-connack' });
    },
    auth: async () => ({ symmetricKey: Buffer.alloc(64, 3).toString('base64') }),
    code: 'DPS_UNAUTHORIZED',
    check: (err) => assert.match(err.message, /Not authori[sz]ed/i),
  },
  {
    name: 'a certificate DPS does not know (re-enrolled device, old certificate): 401002 "Invalid certificate." → DPS_UNAUTHORIZED',
    kind: 'x509-individual',
    auth: async (lab, device) => {
      const old = device.auth;
      await lab.createDevice(device.registrationId, 'x509-individual');
      return old;
    },
    code: 'DPS_UNAUTHORIZED',
    check: (err) => assert.match(err.message, /Invalid certificate\./),
  },
  {
    name: 'an individual enrollment disabled: 200 status disabled → DPS_ENROLLMENT_DISABLED',
    device: { status: 'disabled' },
    code: 'DPS_ENROLLMENT_DISABLED',
    check: (err, _lab, device) => {
      assert.match(err.message, new RegExp(`${device.registrationId}.*disabled in DPS`));
      assert.doesNotMatch(err.message, /401|JSON/);
    },
  },
  {
    name: 'an enrollment group disabled: every member gets status disabled → DPS_ENROLLMENT_DISABLED',
    kind: 'x509-group',
    arrange: (lab) => {
      lab.setEnrollmentGroup('x509-group', { status: 'disabled' });
      return () => lab.setEnrollmentGroup('x509-group', { status: 'enabled' });
    },
    code: 'DPS_ENROLLMENT_DISABLED',
  },
  {
    name: 'failed 400207 (custom allocation): DPS_REGISTRATION_FAILED, then DPS_CUSTOM_ALLOCATION_FAILED naming the VNET limit',
    device: allocationFailed(400207, 'Custom allocation failed.'),
    code: 'DPS_REGISTRATION_FAILED',
    related: 'DPS_CUSTOM_ALLOCATION_FAILED',
    check: (err) => {
      assert.match(err.message, /400207/);
      assert.match(err.findings[0].remediation, /VNET-locked Function cannot serve it/);
      assert.match(err.findings[1].message, /locked into a VNET/);
    },
  },
  {
    name: 'failed 400208 for a whole group (no hub linked) → DPS_REGISTRATION_FAILED, then DPS_NO_HUB_LINKED',
    kind: 'symmetric-key-group',
    arrange: (lab) => {
      lab.setEnrollmentGroup('symmetric-key-group', {
        allocationFailure: { errorCode: 400208, errorMessage: 'No linked hub.' },
      });
      return () => lab.setEnrollmentGroup('symmetric-key-group', { allocationFailure: null });
    },
    code: 'DPS_REGISTRATION_FAILED',
    related: 'DPS_NO_HUB_LINKED',
    check: (err) => assert.match(err.findings[0].remediation, /Link an IoT hub/),
  },
  {
    name: 'failed 400209 (DPS not authorised on the hub) → DPS_HUB_REFUSED_DPS: DPS→hub egress is not VNET traffic',
    device: allocationFailed(400209, 'DPS is not authorized on the linked hub.'),
    code: 'DPS_REGISTRATION_FAILED',
    related: 'DPS_HUB_REFUSED_DPS',
    check: (err) => {
      assert.match(err.findings[0].remediation, /not VNET traffic/);
      assert.match(err.findings[1].message, /not VNET traffic/);
    },
  },
  {
    name: 'failed with an errorCode nobody documented: DPS_REGISTRATION_FAILED keeps the code and the message',
    device: allocationFailed(400299, 'Something new went wrong.'),
    code: 'DPS_REGISTRATION_FAILED',
    check: (err) => {
      assert.match(err.findings[0].message, /\(errorCode 400299\): Something new went wrong\.$/);
      assert.ok(!err.findings[1]?.code.startsWith('DPS_'), JSON.stringify(err.findings.map((f) => f.code)));
    },
  },
  {
    name: 'status unassigned → DPS_REGISTRATION_UNASSIGNED',
    fault: { kind: 'status', status: 'unassigned' },
    code: 'DPS_REGISTRATION_UNASSIGNED',
  },
  {
    name: 'well-formed JSON with a status DPS never sends → DPS_UNEXPECTED_STATUS, never "not valid JSON"',
    fault: { kind: 'status', status: 'provisioning' },
    code: 'DPS_UNEXPECTED_STATUS',
    check: (err) => {
      assert.match(err.message, /"provisioning"/);
      assert.doesNotMatch(err.message, /not valid JSON|SyntaxError/);
    },
  },
  {
    name: 'the SDK api-version unsupported (a cloud that lags): 400 400004 → DPS_API_VERSION_UNSUPPORTED naming version and cloud',
    arrange: (lab) => {
      lab.setBehaviour({ apiVersions: ['2021-06-01'] });
      return () =>
        lab.setBehaviour({ apiVersions: ['2019-03-31', '2021-06-01', '2021-10-01', '2022-02-01', '2022-12-01'] });
    },
    code: 'DPS_API_VERSION_UNSUPPORTED',
    check: (err) => {
      assert.match(err.message, /public cloud\) refused api-version 2019-03-31 with 400004/);
      assert.equal(err.findings[0].evidence['cloud'], 'public');
    },
  },
  {
    name: 'any other 400 (400001) → DPS_BAD_REQUEST with DPS errorCode and message',
    fault: { kind: 'error-status', status: 400, errorCode: 400001, message: 'Bad request body.' },
    code: 'DPS_BAD_REQUEST',
    check: (err) => assert.match(err.message, /400 \(errorCode 400001\): Bad request body\./),
  },
  {
    name: '403 → DPS_FORBIDDEN',
    fault: { kind: 'error-status', status: 403, errorCode: 403002 },
    code: 'DPS_FORBIDDEN',
  },
  {
    name: '404 on register (404201 unknown registration) → DPS_NOT_FOUND naming ID scope and registration id',
    fault: { kind: 'error-status', status: 404, message: 'Registration not found.' },
    code: 'DPS_NOT_FOUND',
    check: (err, lab, device) => {
      assert.equal(err.findings[0].evidence['errorCode'], 404201);
      assert.match(err.message, new RegExp(`${device.registrationId} in ID scope ${lab.dps.idScope}`));
    },
  },
  {
    name: '409 (409203 concurrent registration) every time: retried once after a pause, then DPS_REGISTRATION_CONFLICT',
    fault: { kind: 'error-status', status: 409, message: 'Precondition failed: a registration is in progress.' },
    code: 'DPS_REGISTRATION_CONFLICT',
    check: (err) => {
      assert.equal(err.findings[0].evidence['errorCode'], 409203);
      assert.equal(err.findings[0].evidence['attempts'], 2);
    },
  },
  {
    name: '412 → DPS_PRECONDITION_FAILED',
    fault: { kind: 'error-status', status: 412 },
    code: 'DPS_PRECONDITION_FAILED',
  },
  {
    name: 'assigned without registrationState.assignedHub → DPS_MALFORMED_RESPONSE naming the field',
    fault: { kind: 'patch-response', on: 'poll', omit: ['registrationState.assignedHub'] },
    code: 'DPS_MALFORMED_RESPONSE',
    check: (err) => {
      assert.equal(err.findings[0].evidence['field'], 'registrationState.assignedHub');
      assert.match(err.message, /lacks the required field registrationState\.assignedHub/);
    },
  },
  {
    name: 'assigning without an operationId → DPS_MALFORMED_RESPONSE naming operationId',
    fault: { kind: 'patch-response', on: 'register', omit: ['operationId'] },
    code: 'DPS_MALFORMED_RESPONSE',
    check: (err) => assert.equal(err.findings[0].evidence['field'], 'operationId'),
  },
  {
    name: 'assignedHub "host:port" → DPS_ASSIGNED_HUB_INVALID (DPS-side), not an InvalidOptionError blaming the caller',
    fault: {
      kind: 'patch-response',
      on: 'poll',
      set: { 'registrationState.assignedHub': 'lab-hub.azure-devices.net:8883' },
    },
    code: 'DPS_ASSIGNED_HUB_INVALID',
    check: (err) => assert.match(err.message, /port/),
  },
  {
    name: 'assignedHub a number → DPS_ASSIGNED_HUB_INVALID',
    fault: { kind: 'patch-response', on: 'poll', set: { 'registrationState.assignedHub': 42 } },
    code: 'DPS_ASSIGNED_HUB_INVALID',
    check: (err) => assert.match(err.message, /a number, not a string/),
  },
  {
    name: 'a deviceId IoT Hub cannot use → DPS_DEVICE_ID_INVALID',
    fault: { kind: 'patch-response', on: 'poll', set: { 'registrationState.deviceId': 'bad/device id' } },
    code: 'DPS_DEVICE_ID_INVALID',
  },
];

/** Defines the DPS outcome suite for `transport`. */
export function outcomesSuite(transport: TransportName): void {
  describe(`${transport}: every DPS outcome has its finding`, function () {
    this.timeout(20_000);
    let lab: LabHandle;
    before(async () => {
      lab = await startTestLab();
    });
    after(() => lab.close());
    afterEach(() => lab.setFault(undefined));

    let n = 0;
    const fresh = (name: string, kind: LabDeviceKind = 'symmetric-key', options?: LabDeviceOptions) =>
      lab.createDevice(`${transport}-out-${name}-${++n}`, kind, options);
    const dpsPort = (): number => (transport === 'mqtt' ? lab.dps.port : lab.dps.wsPort);

    /** provisionDevice over this transport only (every socket on this transport's port). */
    const provision = async (device: LabDevice, over: Partial<ProvisionOptions> = {}) => {
      const spy = spyOnConnector();
      try {
        return await provisionDevice(
          optionsFor(lab, device, {
            transport,
            connector: spy.connector,
            retry: { maxAttempts: 3, baseDelayMs: 10 },
            ...over,
          }),
        );
      } finally {
        assert.ok(spy.calls.length > 0, 'a connection was attempted');
        assert.deepEqual(
          spy.calls.map((c) => Number(c.split(':').at(-1))),
          spy.calls.map(() => dpsPort()),
          `over ${transport}: ${spy.calls.join('; ')}`,
        );
      }
    };

    for (const row of ROWS) {
      it(row.name, async () => {
        const device = await fresh('row', row.kind, row.device);
        if (row.fault) lab.setFault(row.fault, { registrationId: device.registrationId });
        const undo = row.arrange?.(lab, device);
        try {
          const auth = row.auth ? await row.auth(lab, device) : device.auth;
          const err = await provision(device, { auth }).then(
            (r) => assert.fail(`expected ${row.code}, got assigned ${r.assignedHub}`),
            (e: unknown) => e,
          );
          assert.ok(err instanceof ProvisioningError, `expected a ProvisioningError, got ${String(err)}`);
          assert.equal(err.code, row.code, err.message);
          assert.equal(err.findings[0].code, row.code);
          assert.notEqual(err.code, 'DPS_CONNECTION_LOST');
          if (row.related)
            assert.equal(err.findings[1]?.code, row.related, JSON.stringify(err.findings.map((f) => f.code)));
          row.check?.(err, lab, device);
        } finally {
          undo?.();
        }
      });
    }

    it('409 once: retried once after a pause and assigned', async () => {
      const device = await fresh('conflict-once');
      lab.setFault({ kind: 'error-status', status: 409, times: 1 }, { registrationId: device.registrationId });
      const before = lab.counters.registrations;
      const result = await provision(device);
      assert.equal(result.assignedHub, lab.hub.host);
      assert.equal(lab.counters.registrations, before + 2);
    });

    it("retry-after before $rid on the response topic ('retry-after-first') is read the same: a 1 s retry-after is honoured", async () => {
      lab.setBehaviour({ responseQueryOrder: 'retry-after-first' });
      try {
        const device = await fresh('query-order');
        lab.setFault({ kind: 'throttle', times: 1, retryAfterSeconds: 1 }, { registrationId: device.registrationId });
        const started = Date.now();
        const result = await provision(device);
        const took = Date.now() - started;
        assert.equal(result.assignedHub, lab.hub.host);
        assert.ok(took >= 1000 && took < 1800, `took ${took} ms`);
      } finally {
        lab.setBehaviour({ responseQueryOrder: 'rid-first' });
      }
    });

    it('assignedHub with upper case and a trailing dot is normalised: the result names the hub as DNS does', async () => {
      const device = await fresh('trailing-dot');
      lab.setFault(
        {
          kind: 'patch-response',
          on: 'poll',
          set: { 'registrationState.assignedHub': `${lab.hub.host.toUpperCase()}.` },
        },
        { registrationId: device.registrationId },
      );
      const result = await provision(device);
      assert.equal(result.assignedHub, lab.hub.host);
      assert.equal(result.hub.verdict, 'private-in-vnet');
    });

    it('the custom-allocation payload comes back in the result, as DPS echoes it in registrationState', async () => {
      const device = await fresh('payload');
      const result = await provision(device, { payload: { modelId: 'dtmi:lab:sensor;1', site: 'north' } });
      assert.deepEqual(result.payload, { modelId: 'dtmi:lab:sensor;1', site: 'north' });
    });

    it('DPS resolved privately but the assigned hub does not: HUB_PUBLIC_ADDRESS says lowest-latency allocation is unreliable in a VNET', async () => {
      const device = await fresh('hub-public');
      lab.setDnsView('public', 'hub');
      try {
        const result = await provision(device);
        assert.equal(result.dps.verdict, 'private-in-vnet');
        const finding = result.findings.find((f) => f.code === 'HUB_PUBLIC_ADDRESS');
        assert.ok(finding, JSON.stringify(result.findings.map((f) => f.code)));
        assert.match(finding.remediation, /lowest-latency allocation.*unreliable inside a VNET/);
      } finally {
        lab.setDnsView('private', 'hub');
      }
    });

    describe('per-device hub faults', () => {
      const hubOptions = () => ({ tls: { ca: lab.caPem }, port: lab.hub.port, wsPort: lab.hub.wsPort });
      it('the hub refuses this device (CONNACK 5) → HUB_UNAUTHORIZED, other devices still connect', async () => {
        const victim = await fresh('hub-refused');
        const other = await fresh('hub-fine');
        lab.setFault({ kind: 'hub-refuse' }, { deviceId: victim.deviceId });
        const refused = createHubClient(await provision(victim), victim.auth, hubOptions());
        await assert.rejects(openHubClient(refused, { timeoutMs: 5000 }), (e: HubConnectionError) => {
          assert.equal(e.code, 'HUB_UNAUTHORIZED', e.message);
          return true;
        });
        await refused.close().catch(() => undefined);
        const fine = createHubClient(await provision(other), other.auth, hubOptions());
        await openHubClient(fine, { timeoutMs: 5000 });
        await fine.close();
      });

      it('the hub completes TLS but never sends CONNACK → HUB_TIMEOUT saying TLS completed', async () => {
        const device = await fresh('hub-silent');
        lab.setFault({ kind: 'hub-never-connack', times: 1 }, { deviceId: device.deviceId });
        const client = createHubClient(await provision(device), device.auth, hubOptions());
        await assert.rejects(openHubClient(client, { timeoutMs: 1500 }), (e: HubConnectionError) => {
          assert.equal(e.code, 'HUB_TIMEOUT', e.message);
          assert.equal(e.findings[0].evidence['tlsCompleted'], true);
          return true;
        });
        await client.close().catch(() => undefined);
      });
    });
  });
}
