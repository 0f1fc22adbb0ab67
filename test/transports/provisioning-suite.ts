// One provisioning and hub hand-off suite, run once per transport (as MQTT.js runs test/node/abstract_client.ts from
// each transport's test file): test/transports/mqtt.test.ts and test/transports/mqtt-ws.test.ts. Everything that
// talks to DPS or the hub and should behave the same over MQTT/TLS (8883) and MQTT over WebSockets (443) lives here;
// tests about one transport only (proxies are mqtt-ws only) and tests that stop before any connection is chosen
// (option and credential validation, DNS-only timeouts) stay in their own files.
import assert from 'node:assert/strict';
import { Message } from 'azure-iot-device';
import {
  AbortedError,
  createHubClient,
  HubConnectionError,
  openHubClient,
  provisionDevice,
  ProvisioningError,
} from '../../src/index';
import type {
  LabDevice,
  LabDeviceKind,
  LabFault,
  LabHandle,
  ProgressStep,
  ProvisionOptions,
  TransportName,
} from '../../src/index';
import { Deadline } from '../../src/provision/deadline';
import {
  activeHandles,
  NETNS_NOTE,
  optionsFor,
  settleHandles,
  spyOnConnector,
  startTestLab,
} from '../support/provision-lab';
import { startSilentPeer } from './silent-peer';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The first address of each socket the spied connector opened ('tls <host> <addresses>:<port>'). */
const dialled = (calls: string[]): string[] => calls.map((c) => c.split(' ')[2].split(':')[0]);

/** Defines the provisioning and hub hand-off suite for `transport`. */
export function provisioningSuite(transport: TransportName): void {
  describe(`${transport}: provisioning and hub hand-off against the lab`, function () {
    this.timeout(20_000);
    let lab: LabHandle;
    before(async () => {
      lab = await startTestLab();
    });
    after(() => lab.close());
    afterEach(() => {
      lab.setFault(undefined);
      lab.setDnsView('private');
      lab.setDnsView('private', 'hub');
    });

    let n = 0;
    /** A fresh device, its registration id unique in this lab. */
    const fresh = (name: string, kind: LabDeviceKind = 'symmetric-key', options?: { status?: 'disabled' }) =>
      lab.createDevice(`${transport}-${name}-${++n}`, kind, options);
    /** optionsFor() over this suite's transport. */
    const optionsOver = (device: LabDevice, over: Partial<ProvisionOptions> = {}): ProvisionOptions =>
      optionsFor(lab, device, { transport, ...over });
    const dpsPort = (): number => (transport === 'mqtt' ? lab.dps.port : lab.dps.wsPort);
    const hubPort = (): number => (transport === 'mqtt' ? lab.hub.port : lab.hub.wsPort);
    const hubOptions = () => ({ tls: { ca: lab.caPem }, port: lab.hub.port, wsPort: lab.hub.wsPort });
    const withPolicy = (policy: 'enforce' | 'warn' | 'off') => ({
      network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer], policy },
    });
    const rejection = async (run: Promise<unknown>, expected: string): Promise<unknown> =>
      run.then(
        () => assert.fail(expected),
        (e: unknown) => e,
      );

    describe('happy paths: provisioned through the private endpoint, then telemetry through the pinned hub client', () => {
      const kinds: LabDeviceKind[] = ['x509-individual', 'x509-group', 'symmetric-key'];
      for (const kind of kinds) {
        it(`${kind}: assigned, verified, TLS ≥ 1.2, and the hub receives the message over ${transport}`, async () => {
          const device = await fresh(`e2e-${kind}`, kind);
          const steps: ProgressStep[] = [];
          const before = { ...lab.counters.connections };
          const spy = spyOnConnector();
          try {
            // Deep-frozen: any write to the caller's options would throw here.
            const result = await provisionDevice(
              deepFreeze(optionsOver(device, { connector: spy.connector, onProgress: (e) => steps.push(e.step) })),
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

            // The hub client takes the transport from the result: no transport option here.
            const client = createHubClient(result, device.auth, { ...hubOptions(), connector: spy.connector });
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
            assert.deepEqual(dialled(spy.calls), [lab.dps.address, lab.hub.address]);
            assert.deepEqual(
              spy.calls.map((c) => Number(c.split(':').at(-1))),
              [dpsPort(), hubPort()],
              `both over ${transport}`,
            );
          } finally {
            spy.restore();
          }
        });
      }

      it('warn: a healthy private path gives no error findings', async () => {
        const device = await fresh('warn-healthy');
        const result = await provisionDevice(optionsOver(device, withPolicy('warn')));
        assert.equal(result.dps.verdict, 'private-in-vnet');
        assert.deepEqual(
          result.findings.filter((f) => f.severity === 'error'),
          [],
        );
      });
    });

    // Every DPS and TLS failure becomes a finding (was test/provision/diagnoses-dps-failures.test.ts, mqtt only).
    // Every socket these cases open must be on this transport's port (the lab's MQTT and WebSocket ports differ), so a
    // case cannot pass over the other transport.
    const provisionWith = async (fault: LabFault | undefined, over: Partial<ProvisionOptions> = {}) => {
      const device = await fresh('diag');
      if (fault) lab.setFault(fault, { registrationId: device.registrationId });
      const spy = spyOnConnector();
      try {
        return await provisionDevice(
          optionsOver(device, { connector: spy.connector, retry: { maxAttempts: 3, baseDelayMs: 10 }, ...over }),
        );
      } finally {
        spy.restore();
        assert.ok(spy.calls.length > 0, 'a connection was attempted');
        assert.deepEqual(
          spy.calls.map((c) => Number(c.split(':').at(-1))),
          spy.calls.map(() => dpsPort()),
          `over ${transport}: ${spy.calls.join('; ')}`,
        );
      }
    };
    const failsWith = async (
      code: string,
      fault: LabFault | undefined,
      over: Partial<ProvisionOptions> = {},
    ): Promise<ProvisioningError> => {
      const err = await rejection(provisionWith(fault, over), `expected ${code}`);
      assert.ok(err instanceof ProvisioningError, `expected a ProvisioningError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      assert.equal(err.findings[0].code, code);
      return err;
    };

    describe('certificate failures', () => {
      it('a server certificate for another name: TLS_HOSTNAME_MISMATCH, before any MQTT packet', async () => {
        lab.setFault({ kind: 'wrong-san' });
        const before = lab.counters.registrations;
        const err = await failsWith('TLS_HOSTNAME_MISMATCH', undefined);
        assert.match(err.message, /lab-dps\.azure-devices-provisioning\.net/);
        assert.equal(lab.counters.registrations, before);
      });

      it('an expired server certificate: TLS_SERVER_CERT_EXPIRED', async () => {
        lab.setFault({ kind: 'expired-cert' });
        await failsWith('TLS_SERVER_CERT_EXPIRED', undefined);
      });

      it('a server chain the device does not trust (no lab CA given): TLS_UNTRUSTED_CHAIN', async () => {
        await failsWith('TLS_UNTRUSTED_CHAIN', undefined, { tls: {} });
      });

      it('the privatelink name configured, certificate without privatelink SANs: TLS_HOSTNAME_MISMATCH naming what the certificate covers and the service name to use', async () => {
        const device = await fresh('pl-name', 'x509-individual');
        const err = await rejection(
          provisionDevice(optionsOver(device, { provisioningHost: lab.dps.privatelinkHost })),
          'the certificate does not cover the privatelink name',
        );
        assert.ok(err instanceof ProvisioningError, String(err));
        assert.equal(err.code, 'TLS_HOSTNAME_MISMATCH');
        assert.equal(err.findings[0].evidence.certificateNames, `DNS:${lab.dps.host}`);
        assert.match(
          err.findings[0].remediation,
          new RegExp(`configure the service name ${lab.dps.host.replace(/\./g, '\\.')}`),
        );
        assert.ok(
          err.findings.some((f) => f.code === 'ENDPOINT_PRIVATELINK_NAME'),
          'the endpoint finding is listed too',
        );
      });
    });

    describe('throttling and server errors', () => {
      it('429 with retry-after, twice, then assigned: retried and succeeds', async () => {
        const before = lab.counters.registrations;
        const result = await provisionWith({ kind: 'throttle', times: 2, retryAfterSeconds: 0 });
        assert.equal(result.assignedHub, lab.hub.host);
        assert.equal(lab.counters.registrations, before + 3);
      });

      it('429 forever: bounded — DPS_THROTTLED after retry.maxAttempts, naming the status', async () => {
        const before = lab.counters.registrations;
        const err = await failsWith('DPS_THROTTLED', { kind: 'throttle', retryAfterSeconds: 0 });
        assert.match(err.message, /429 3 times/);
        assert.equal(lab.counters.registrations, before + 3);
      });

      it('retry-after is honoured: 429 with retry-after 1 s waits about a second (plus at most 20 % jitter)', async () => {
        const started = Date.now();
        await provisionWith({ kind: 'throttle', times: 1, retryAfterSeconds: 1 });
        const took = Date.now() - started;
        assert.ok(took >= 1000 && took < 1600, `took ${took} ms`);
      });

      it('5xx forever: DPS_SERVER_ERROR (not DPS_THROTTLED) with the 5xx status, after retry.maxAttempts', async () => {
        const before = lab.counters.registrations;
        const err = await failsWith('DPS_SERVER_ERROR', { kind: 'server-error', status: 503 });
        assert.match(err.message, /503 3 times/);
        assert.match(err.findings[0].remediation, /Service Health/);
        assert.equal(lab.counters.registrations, before + 3);
      });
    });

    describe('what DPS answers', () => {
      it('status failed: DPS_REGISTRATION_FAILED with the DPS errorCode and message', async () => {
        const err = await failsWith('DPS_REGISTRATION_FAILED', {
          kind: 'failed',
          errorCode: 400209,
          errorMessage: 'Custom allocation failed',
        });
        assert.match(err.message, /400209/);
        assert.match(err.message, /Custom allocation failed/);
      });

      it('malformed JSON from DPS: DPS_MALFORMED_RESPONSE, no uncaught exception', async () => {
        let uncaught: unknown;
        const onUncaught = (e: unknown): void => {
          uncaught = e;
        };
        process.prependListener('uncaughtException', onUncaught);
        try {
          await failsWith('DPS_MALFORMED_RESPONSE', { kind: 'malformed-json' });
          await new Promise((r) => setTimeout(r, 50));
          assert.equal(uncaught, undefined);
        } finally {
          process.removeListener('uncaughtException', onUncaught);
        }
      });

      it('a disabled enrollment answers status "disabled" as DPS does: DPS_ENROLLMENT_DISABLED, not a DNS problem', async () => {
        const disabled = await fresh('disabled-device', 'symmetric-key', { status: 'disabled' });
        await assert.rejects(provisionDevice(optionsOver(disabled)), (e: ProvisioningError) => {
          assert.equal(e.code, 'DPS_ENROLLMENT_DISABLED');
          assert.match(e.message, new RegExp(disabled.registrationId));
          return true;
        });
      });

      it('401 from the verified private address (wrong key) is DPS_UNAUTHORIZED, not a DNS problem', async () => {
        const device = await fresh('wrong-key', 'symmetric-key');
        const wrongKey = Buffer.alloc(32, 7).toString('base64');
        await assert.rejects(
          provisionDevice(optionsOver(device, { auth: { symmetricKey: wrongKey } })),
          (e: ProvisioningError) => {
            assert.equal(e.code, 'DPS_UNAUTHORIZED');
            assert.match(e.message, /127\.10\.0\.10/);
            assert.match(e.message, new RegExp(device.registrationId));
            return true;
          },
        );
      });

      it('a 401 error body from the private DPS (401002 "Invalid certificate."): DPS_UNAUTHORIZED, not retried', async () => {
        const before = lab.counters.registrations;
        const err = await failsWith('DPS_UNAUTHORIZED', {
          kind: 'error-status',
          status: 401,
          errorCode: 401002,
          message: 'Invalid certificate.',
        });
        assert.match(err.message, /127\.10\.0\.10/);
        assert.equal(lab.counters.registrations, before + 1, 'a 401 is not worth a retry');
      });
    });

    describe('the public endpoint and the policy', () => {
      for (const policy of ['warn', 'off'] as const) {
        it(`${policy}: reaching the public twin gives DPS_UNAUTHORIZED_PUBLIC with the DNS findings as context`, async () => {
          const device = await fresh(`public-${policy}`);
          lab.setDnsView('public');
          const before = lab.counters.connections.publicTwin;
          const err = await rejection(provisionDevice(optionsOver(device, withPolicy(policy))), 'the twin must refuse');
          assert.ok(err instanceof ProvisioningError, String(err));
          assert.equal(err.code, 'DPS_UNAUTHORIZED_PUBLIC');
          assert.match(err.message, /127\.200\.0\.1/);
          assert.match(err.message, /public endpoint/);
          assert.match(err.message, /privatelink\.azure-devices-provisioning\.net/);
          assert.ok(
            err.findings.some((f) => f.code === 'DNS_PRIVATELINK_NOT_PRIVATE'),
            'the DNS cause is listed too',
          );
          assert.equal(lab.counters.connections.publicTwin, before + 1);
        });
      }

      describe(`enforce refuses before any connection (${NETNS_NOTE})`, () => {
        const refuses = async (expectedCode: string, answered: string): Promise<void> => {
          const device = await fresh('enforce', 'x509-individual');
          const spy = spyOnConnector();
          const before = JSON.stringify(lab.counters.connections);
          try {
            const err = await rejection(
              provisionDevice(optionsOver(device, { connector: spy.connector })),
              'provisioning must be refused',
            );
            assert.ok(err instanceof ProvisioningError, String(err));
            assert.equal(err.code, expectedCode);
            assert.equal(err.step, 'resolving');
            assert.equal(err.findings[0].code, expectedCode);
            assert.ok(err.message.includes(answered), `message names the address: ${err.message}`);
            assert.deepEqual(spy.calls, [], 'no socket was opened');
            assert.equal(JSON.stringify(lab.counters.connections), before, 'the lab saw no connection');
          } finally {
            spy.restore();
          }
        };

        it('DNS answering the public twin (privatelink CNAME to the public path): DNS_PRIVATELINK_NOT_PRIVATE, 0 connections', async () => {
          lab.setDnsView('public');
          await refuses('DNS_PRIVATELINK_NOT_PRIVATE', '127.200.0.1');
        });

        it('DNS answering a real public address (20.43.1.7): refused, nothing dialled', async () => {
          lab.dns.setRecord(`lab-dps.privatelink.azure-devices-provisioning.net`, { a: ['20.43.1.7'], ttl: 10 });
          // afterEach's setDnsView('private') writes the private record back.
          await refuses('DNS_PRIVATELINK_NOT_PRIVATE', '20.43.1.7');
        });

        it('DNS answering 10.99.0.4, private but outside the VNET: DNS_OUTSIDE_VNET, nothing dialled', async () => {
          lab.setDnsView('outside-vnet');
          await refuses('DNS_OUTSIDE_VNET', '10.99.0.4');
        });

        it('no privatelink at all: refused with the DNS finding, nothing dialled', async () => {
          const device = await fresh('enforce', 'x509-individual');
          lab.setDnsView('no-privatelink');
          const spy = spyOnConnector();
          try {
            await assert.rejects(
              provisionDevice(optionsOver(device, { connector: spy.connector })),
              (e: ProvisioningError) => e.code.startsWith('DNS_'),
            );
            assert.deepEqual(spy.calls, []);
          } finally {
            spy.restore();
          }
        });

        it('NXDOMAIN: DNS_NXDOMAIN, nothing dialled', async () => {
          const device = await fresh('enforce', 'x509-individual');
          lab.setDnsView('nxdomain');
          await assert.rejects(
            provisionDevice(optionsOver(device)),
            (e: ProvisioningError) => e.code === 'DNS_NXDOMAIN',
          );
        });

        it('mixed answer (private + public): connects only to the in-range address', async () => {
          const device = await fresh('enforce', 'x509-individual');
          lab.setDnsView('mixed');
          const spy = spyOnConnector();
          const before = { ...lab.counters.connections };
          try {
            const result = await provisionDevice(optionsOver(device, { connector: spy.connector }));
            assert.equal(result.assignedHub, lab.hub.host);
            assert.ok(result.findings.some((f) => f.code === 'DNS_MIXED_ANSWERS'));
            assert.deepEqual(dialled(spy.calls), [lab.dps.address]);
            assert.equal(lab.counters.connections.publicTwin, before.publicTwin);
          } finally {
            spy.restore();
          }
        });
      });
    });

    describe('deadline, abort and a dropped connection: everything stops, no open handles', () => {
      const noLeaks = async (baseline: string[]): Promise<void> => {
        const after = await settleHandles(baseline);
        assert.deepEqual([...after].sort(), [...baseline].sort(), 'no socket or timer is left behind');
      };

      it('DPS never answers → DPS_TIMEOUT at step "registering" within timeoutMs', async () => {
        const device = await fresh('never');
        lab.setFault({ kind: 'never-answer' }, { registrationId: device.registrationId });
        const baseline = activeHandles();
        // Reaching "registering" takes ~50-100 ms here; 1500 ms leaves a loaded machine (2 shared cores) room to get
        // there, so the step asserted is the one DPS left unanswered, not wherever a slow run happened to be.
        const timeoutMs = 1500;
        let registeringAt: number | undefined;
        const started = Date.now();
        const onProgress = (e: { step: string }): void => {
          if (e.step === 'registering') registeringAt = Date.now() - started;
        };
        await assert.rejects(
          provisionDevice(optionsOver(device, { timeoutMs, onProgress })),
          (e: ProvisioningError) => {
            assert.equal(e.code, 'DPS_TIMEOUT');
            assert.ok(registeringAt !== undefined, 'the run reached "registering" before the deadline');
            assert.equal(e.step, 'registering');
            assert.match(e.message, /1500 ms/);
            assert.match(e.findings[0].remediation, /DPS accepted the connection/);
            return true;
          },
        );
        const took = Date.now() - started;
        assert.ok(took >= timeoutMs - 5 && took < timeoutMs + 1000, `stopped at the deadline (${took} ms)`);
        await noLeaks(baseline);
      });

      it('abort while waiting for DPS → AbortedError at once, sockets closed', async () => {
        const device = await fresh('abort-mid', 'x509-individual');
        lab.setFault({ kind: 'never-answer' }, { registrationId: device.registrationId });
        const controller = new AbortController();
        const baseline = activeHandles();
        const started = Date.now();
        await assert.rejects(
          provisionDevice(
            optionsOver(device, {
              signal: controller.signal,
              onProgress: (e) => e.step === 'registering' && setTimeout(() => controller.abort(), 20),
            }),
          ),
          (e: unknown) => e instanceof AbortedError && e.code === 'ERR_ABORTED',
        );
        assert.ok(Date.now() - started < 2000);
        await noLeaks(baseline);
      });

      it('abort while waiting out a retry-after → AbortedError, the retry timer is cleared', async () => {
        const device = await fresh('abort-wait');
        lab.setFault({ kind: 'throttle', retryAfterSeconds: 30 }, { registrationId: device.registrationId });
        const controller = new AbortController();
        const registrations = lab.counters.registrations;
        // Abort exactly when the 30 s retry wait starts (not after a guessed delay that may fall before it).
        const sleep = Deadline.prototype.sleep;
        let waited: number | undefined;
        Deadline.prototype.sleep = function (this: Deadline, ms: number) {
          const wait = sleep.call(this, ms);
          if (ms >= 30_000 && waited === undefined) {
            waited = ms;
            setImmediate(() => controller.abort());
          }
          return wait;
        };
        try {
          const baseline = activeHandles();
          const started = Date.now();
          await assert.rejects(
            provisionDevice(optionsOver(device, { signal: controller.signal, timeoutMs: 60_000 })),
            AbortedError,
          );
          assert.ok(waited !== undefined && waited >= 30_000, 'the abort came during the retry-after wait');
          assert.equal(lab.counters.registrations, registrations + 1, 'one attempt, then the wait, then nothing');
          assert.ok(Date.now() - started < 2000, 'the wait ended at the abort, not after 30 s');
          await noLeaks(baseline);
        } finally {
          Deadline.prototype.sleep = sleep;
        }
      });

      for (const [kind, step] of [
        // TCP connected: from then on the step is "tls" (a silence there is a stalled handshake, not the route).
        ['tcp', 'tls'],
        ['tls', 'tls'],
      ] as const) {
        it(`a private endpoint that accepts ${kind === 'tcp' ? 'TCP but never starts TLS' : 'TLS but never answers MQTT'} → DPS_TIMEOUT at step "${step}", not a DPS problem`, async () => {
          const device = await fresh(`silent-${kind}`);
          // Inside the lab VNET, so enforce lets the device connect to it.
          const peer = await startSilentPeer(kind, '127.10.9.7', lab.dps.host);
          lab.dns.setRecord('lab-dps.privatelink.azure-devices-provisioning.net', { a: [peer.address], ttl: 10 });
          try {
            const baseline = activeHandles();
            const started = Date.now();
            await assert.rejects(
              provisionDevice(
                optionsOver(device, {
                  timeoutMs: 1500,
                  port: peer.port,
                  wsPort: peer.port,
                  tls: { ca: peer.caPem ?? lab.caPem },
                }),
              ),
              (e: unknown) => {
                assert.ok(e instanceof ProvisioningError, String(e));
                assert.equal(e.code, 'DPS_TIMEOUT', e.message);
                assert.equal(e.step, step);
                assert.match(e.findings[0].remediation, /route to the private endpoint/);
                assert.doesNotMatch(e.findings[0].remediation, /DPS accepted the connection/);
                return true;
              },
            );
            const took = Date.now() - started;
            assert.ok(took >= 1495 && took < 2500, `stopped at the deadline (${took} ms)`);
            assert.equal(peer.accepted(), 1, 'one connection to the silent peer');
            await noLeaks(baseline);
          } finally {
            await peer.close();
          }
        });
      }

      // The SDK re-emits a connection dropped between polls as 'error' on its transport (mqtt-base's closeEvent with no
      // pending callback); without a listener that was an uncaught exception in the host process.
      it('connection dropped when polling, once: retried on a new connection and succeeds, no uncaught exception', async () => {
        let uncaught: unknown;
        const onUncaught = (e: unknown): void => {
          uncaught = e;
        };
        process.prependListener('uncaughtException', onUncaught);
        try {
          const before = lab.counters.connections.dps;
          const result = await provisionWith({ kind: 'drop-mid-poll', times: 1 });
          assert.equal(result.assignedHub, lab.hub.host);
          assert.equal(lab.counters.connections.dps, before + 2);
          await new Promise((r) => setTimeout(r, 50));
          assert.equal(uncaught, undefined);
        } finally {
          process.removeListener('uncaughtException', onUncaught);
        }
      });

      it('connection dropped after CONNACK once: retried on a new connection and succeeds', async () => {
        const before = lab.counters.connections.dps;
        const result = await provisionWith({ kind: 'drop-after-connack', times: 1 });
        assert.equal(result.assignedHub, lab.hub.host);
        assert.equal(lab.counters.connections.dps, before + 2);
      });
    });

    describe('hub hand-off: the assigned hub is verified like DPS, and the hub client is pinned', () => {
      it('hub answering publicly: provisioning succeeds with HUB_PUBLIC_ADDRESS, and createHubClient refuses without a socket', async () => {
        const device = await fresh('hub-public');
        lab.setDnsView('public', 'hub');
        const result = await provisionDevice(optionsOver(device));
        const finding = result.findings.find((f) => f.code === 'HUB_PUBLIC_ADDRESS');
        assert.ok(finding, JSON.stringify(result.findings.map((f) => f.code)));
        assert.equal(finding.severity, 'error');
        assert.match(finding.message, /lab-hub\.azure-devices\.net/);
        assert.match(finding.remediation, /privatelink\.azure-devices\.net/);
        const spy = spyOnConnector();
        const before = { ...lab.counters.connections };
        try {
          assert.throws(
            () => createHubClient(result, device.auth, { ...hubOptions(), connector: spy.connector }),
            (e: HubConnectionError) => e.code === 'HUB_PUBLIC_ADDRESS',
          );
          assert.deepEqual(spy.calls, []);
          assert.deepEqual(lab.counters.connections, before);
        } finally {
          spy.restore();
        }
      });

      it('hub private but outside the VNET (10.99.0.4): HUB_OUTSIDE_VNET, no connection', async () => {
        const device = await fresh('hub-outside');
        lab.setDnsView('outside-vnet', 'hub');
        const result = await provisionDevice(optionsOver(device));
        assert.ok(result.findings.some((f) => f.code === 'HUB_OUTSIDE_VNET' && /10\.99\.0\.4/.test(f.message)));
        const spy = spyOnConnector();
        try {
          assert.throws(
            () => createHubClient(result, device.auth, { ...hubOptions(), connector: spy.connector }),
            (e: HubConnectionError) => e.code === 'HUB_OUTSIDE_VNET',
          );
          assert.deepEqual(spy.calls, []);
        } finally {
          spy.restore();
        }
      });

      it('warn: the hub client goes to the public hub and the refusal is HUB_UNAUTHORIZED with the address', async () => {
        const device = await fresh('hub-warn');
        lab.setDnsView('public', 'hub');
        const result = await provisionDevice(optionsOver(device, withPolicy('warn')));
        // Same rule as the DNS findings: the policy lets the device connect, it does not make a public hub less wrong.
        assert.equal(result.findings.find((f) => f.code === 'HUB_PUBLIC_ADDRESS')?.severity, 'error');
        // The hub client does not take the policy from the result (an edited result could relax it): the caller says
        // warn.
        assert.throws(
          () => createHubClient(result, device.auth, hubOptions()),
          (e: HubConnectionError) => e.code === 'HUB_PUBLIC_ADDRESS',
        );
        const client = createHubClient(result, device.auth, { ...hubOptions(), policy: 'warn' });
        const before = lab.counters.connections.hubPublic;
        await assert.rejects(openHubClient(client), (e: HubConnectionError) => {
          assert.equal(e.code, 'HUB_UNAUTHORIZED');
          assert.match(e.message, new RegExp(lab.hub.publicAddress.replace(/\./g, '\\.')));
          return true;
        });
        assert.equal(lab.counters.connections.hubPublic, before + 1);
      });
    });
  });
}
