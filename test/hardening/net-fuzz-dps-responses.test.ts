// Hardening item 1b: property-based fuzzing (fast-check, seeded) of what a DPS answers — response topics
// (`$dps/registrations/res/<status>/?$rid=…&retry-after=…` with every part generated) and payloads (JSON-shaped
// registration results with wrong types, garbage bytes, deep nesting) — sent by a real MQTT/TLS peer on loopback
// (net-hostile-peer.ts), to the unmodified SDK transport and our code around it.
//
// Two properties, because a full provisioning costs a TLS handshake (~10 ms of CPU here) and 10,000 of them do not fit:
// 1. Our receiving path, 10,000 cases over long-lived connections: the SDK transport built by createDpsTransport
//    (our mqtt provider, topic guard and tap) with screenResponse screening each reply, and runRegistration reading
//    the result. 64 connections run cases one after another (a case that drops the connection makes the next
//    reconnect). Each case ends with an assignment or a diagnosed RegistrationFailure (a catalogue code), or its
//    deadline — never another error, never an unhandled rejection.
// 2. provisionDevice end to end, 600 cases: resolves, or rejects with a DpsPrivateLinkError with a catalogue (or ERR_)
//    code within its deadline; dials nothing but the peer; no unhandled rejection; no socket or timer left.
// Reproduce a failure with FUZZ_SEED=<seed printed> (and FUZZ_RUNS / FUZZ_PROVISION_RUNS to change the counts).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConnectionSession } from '../../src/connection/session';
import { createFinding, DpsPrivateLinkError, findingCatalogue, provisionDevice, verifyEndpoint } from '../../src/index';
import type { EndpointReport } from '../../src/index';
import { Deadline, type StopReason } from '../../src/provision/deadline';
import { RegistrationFailure, runRegistration, screenResponse } from '../../src/provision/register';
import { createDpsTransport, type DpsTransport } from '../../src/provision/sdk-transport';
import { recordingConnector } from '../support/recording-connector';
import { baselineHandles, flushRejections, guardProcess, settleLeftOpen } from './net-process-guard';
import { ridOf, startHostilePeer, type HostilePeer, type PeerConnection } from './net-hostile-peer';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);
const PROVISION_RUNS = Number(process.env['FUZZ_PROVISION_RUNS'] ?? 600);
const seedOf = (fixed: number): number => (process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : fixed); // prettier-ignore
const SEEDS = { responses: 1408, provisionings: 1409 } as const;
const CHANNELS = Number(process.env['FUZZ_CHANNELS'] ?? 64);
const PROVISION_CONCURRENCY = 8;
/** Per case: short, since some cases wait on purpose (no reply, retry-after missing: the SDK's 2 s default). */
const CASE_DEADLINE_MS = 300;

const DPS = 'fuzz-dps.azure-devices-provisioning.net';
const HUB = 'fuzz-hub.azure-devices.net';
const KEY = Buffer.alloc(32, 7).toString('base64');
const ASSIGNED = JSON.stringify({
  operationId: 'op-1',
  status: 'assigned',
  registrationState: { registrationId: 'fz', assignedHub: HUB, deviceId: 'fz', status: 'assigned' },
});
const ID_SCOPE = '0ne00000F22';

// ---- generated replies -------------------------------------------------------------------------------------------

type Part = string | undefined;
interface TopicSpec {
  prefix: string;
  status: string;
  rid: 'right' | 'other' | Part;
  retryAfter: Part;
  retryFirst: boolean;
  extra: Part;
}
type PayloadSpec =
  { kind: 'json'; value: unknown } | { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array };
type Reply =
  { kind: 'publish'; topic: TopicSpec; payload: PayloadSpec; twice: boolean } | { kind: 'silence' } | { kind: 'drop' };
/**
 * The replies to a case's requests in order (register, then each poll); a request beyond them is answered
 * `assigned`, so a case waits only where one of its own replies makes it (silence, a missing retry-after).
 */
type Case = Reply[];

const topic: fc.Arbitrary<TopicSpec> = fc.record({
  prefix: fc.oneof(
    { weight: 40, arbitrary: fc.constant('$dps/registrations/res/') },
    { weight: 1, arbitrary: fc.constantFrom('$dps/registrations/res', '$dps/registrations/resx/', '$iothub/twin/res/', '$dps/registrations/RES/', '') },
  ),
  status: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom('200', '202', '401', '404', '409', '429', '500', '503') },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0')) },
    { weight: 1, arbitrary: fc.constantFrom('20x', '2000', '', '-1', '1e2', '%32%30%30', ' 200') },
  ),
  rid: fc.oneof(
    { weight: 32, arbitrary: fc.constant('right' as const) },
    { weight: 1, arbitrary: fc.constant('other' as const) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, '', '__proto__', 'constructor', 'toString', '%E0%A4%A', 'a&$rid=b') },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  ),
  retryAfter: fc.oneof(
    { weight: 30, arbitrary: fc.constant('0') },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom('-1', 'NaN', 'abc', '1e309', '0.001', '-0', '0x10', '', '99999999999', '%30') },
    { weight: 1, arbitrary: fc.constant('1') },
  ),
  retryFirst: fc.boolean(),
  extra: fc.oneof(
    { weight: 9, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('&', '&&', '&x=%ZZ', '#', '&retry-after=0', '&operationId=op') },
  ),
}); // prettier-ignore

const str = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '__proto__', 'constructor', 'a'.repeat(300)));
const anyValue = fc.oneof(
  str,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.nat(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
/** A field: usually the right type, sometimes missing or anything at all. */
const field = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> =>
  fc.oneof(
    { weight: 8, arbitrary: good },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: anyValue },
  );

const hubName = fc.oneof(
  { weight: 6, arbitrary: fc.constant(HUB) },
  { weight: 1, arbitrary: fc.constantFrom('', 'HUB.AZURE-DEVICES.NET', `${HUB}.`, 'x', '10.1.2.4', '127.77.0.1', 'a b.azure-devices.net', 'evil.example.com', `${'a'.repeat(70)}.azure-devices.net`, 'fuzz-hub.device.azure-devices.net', 'fuzz-hub.azure-devices.cn', 'h\u0000.azure-devices.net') },
); // prettier-ignore

const registrationState = fc.record(
  {
    registrationId: field(fc.constant('fz')),
    assignedHub: field(hubName),
    deviceId: field(fc.oneof(fc.constant('fz'), str)),
    status: field(fc.constantFrom('assigned', 'failed', 'assigning')),
    substatus: field(fc.constantFrom('initialAssignment', 'deviceDataMigrated', 'deviceDataReset')),
    errorCode: field(fc.constantFrom(400207, 400208, 400209, 401002, 404201, 409203, 429001, 500000)),
    errorMessage: field(str),
    payload: field(anyValue),
    etag: field(str),
  },
  { requiredKeys: [] },
);
const resultJson = fc.record(
  {
    operationId: field(fc.oneof(fc.constant('op-1'), fc.constant(''), str)),
    status: field(
      fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom('assigned', 'assigning', 'failed', 'disabled', 'unassigned') },
        { weight: 1, arbitrary: fc.constantFrom('ASSIGNED', 'Assigning', 'unknown', '', '__proto__') },
      ),
    ),
    registrationState: field(registrationState),
    errorCode: field(fc.constantFrom(401002, 401000, 429001, 404202)),
    message: field(str),
    trackingId: field(str),
  },
  { requiredKeys: [] },
);
const payload: fc.Arbitrary<PayloadSpec> = fc.oneof(
  { weight: 14, arbitrary: resultJson.map((value) => ({ kind: 'json' as const, value })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json' as const, value })) },
  { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '1', '"x"', '{', '{"status":', '{"status":"assigned"', 'true', `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"a":${'{"a":'.repeat(100)}1${'}'.repeat(101)}`, '\ufeff{}', '{"status":"assigned","registrationState":{"assignedHub":"\\ud800"}}').map((text) => ({ kind: 'text' as const, text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: 'bytes' as const, bytes })) },
); // prettier-ignore

const reply: fc.Arbitrary<Reply> = fc.oneof(
  { weight: 60, arbitrary: fc.record({ kind: fc.constant('publish' as const), topic, payload, twice: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('publish' as const), topic, payload, twice: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'silence' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
); // prettier-ignore
const caseArb: fc.Arbitrary<Case> = fc.array(reply, { minLength: 1, maxLength: 4 });

function topicOf(t: TopicSpec, requestTopic: string): string {
  const rid = t.rid === 'right' ? ridOf(requestTopic) : t.rid === 'other' ? `${ridOf(requestTopic)}1` : t.rid;
  const parts = [
    ...(rid !== undefined ? [`$rid=${rid}`] : []),
    ...(t.retryAfter !== undefined ? [`retry-after=${t.retryAfter}`] : []),
  ];
  if (t.retryFirst) parts.reverse();
  return `${t.prefix}${t.status}/?${parts.join('&')}${t.extra ?? ''}`;
}

function bodyOf(p: PayloadSpec): Buffer {
  if (p.kind === 'bytes') return Buffer.from(p.bytes);
  return Buffer.from(p.kind === 'text' ? p.text : (JSON.stringify(p.value) ?? 'undefined'));
}

/** Answers request number `n` of `c` on `conn` (the SDK's register or poll publish `requestTopic`). */
function answer(conn: PeerConnection, c: Case, n: number, requestTopic: string): void {
  const r = c[n];
  if (r === undefined) return conn.publish(`$dps/registrations/res/200/?$rid=${ridOf(requestTopic)}`, ASSIGNED);
  if (r.kind === 'silence') return;
  if (r.kind === 'drop') return conn.drop();
  const t = topicOf(r.topic, requestTopic);
  const body = bodyOf(r.payload);
  conn.publish(t, body);
  if (r.twice) conn.publish(t, body);
}

/** A peer answering each connection's requests from the case its registration id (the MQTT client id) is running. */
async function startFuzzPeer(caseFor: (clientId: string) => { c: Case; n: number } | undefined): Promise<HostilePeer> {
  const clientIds = new WeakMap<PeerConnection, string>();
  return startHostilePeer(
    DPS,
    {
      onConnect(conn, p) {
        clientIds.set(conn, p.clientId);
      },
      onPublish(conn, p) {
        if (!p.topic.startsWith('$dps/registrations/PUT/') && !p.topic.startsWith('$dps/registrations/GET/')) return;
        const current = caseFor(clientIds.get(conn) ?? '');
        if (!current) return;
        answer(conn, current.c, current.n++, p.topic);
      },
    },
    { [HUB]: { a: ['127.77.250.1'] } },
  );
}

// ---- the checks --------------------------------------------------------------------------------------------------

const isCatalogueCode = (code: unknown): boolean =>
  typeof code === 'string' && Object.prototype.hasOwnProperty.call(findingCatalogue, code);

function isStopReason(x: unknown): x is StopReason {
  return !!x && typeof x === 'object' && ['timeout', 'aborted', 'failed'].includes((x as StopReason).kind);
}

/** What a runRegistration case ended with, checked: an assignment, a diagnosed failure, or its deadline. */
function outcomeOf(value: unknown, err: unknown): string {
  if (err === undefined) {
    const a = value as { assignedHub?: unknown; deviceId?: unknown };
    assert.equal(typeof a.assignedHub, 'string');
    assert.equal(typeof a.deviceId, 'string');
    assert.ok((a.assignedHub as string).length > 0 && (a.deviceId as string).length > 0);
    return 'assigned';
  }
  const failure = isStopReason(err) ? (err.kind === 'failed' ? err.error : err.kind) : err;
  if (failure === 'timeout') return 'deadline';
  assert.ok(failure instanceof RegistrationFailure, `not a diagnosed failure: ${String((failure as Error)?.stack ?? failure)}`); // prettier-ignore
  assert.ok(isCatalogueCode(failure.finding.code), failure.finding.code);
  return failure.finding.code;
}

/** One long-lived connection running cases one after another through our receiving path. */
class Channel {
  readonly clientId: string;
  current: { c: Case; n: number } | undefined;
  private readonly session: ConnectionSession;
  private transport!: DpsTransport;
  private deadline: Deadline | undefined;
  private last: { status?: number; retryAfterSeconds?: number } = {};

  constructor(
    readonly index: number,
    peer: HostilePeer,
    connector: ReturnType<typeof recordingConnector>['connector'],
    /** The DPS name's verified report, as provisionDevice passes it (the context of every diagnosis). */
    private readonly dps: EndpointReport,
  ) {
    this.clientId = `fz-ch${index}`;
    const target = { host: DPS, addresses: [peer.address], port: peer.port, minVersion: 'TLSv1.2' as const, ca: peer.caPem }; // prettier-ignore
    this.session = new ConnectionSession(target, {}, connector);
  }

  async open(): Promise<void> {
    const stop = (excerpt: string, topic: string): void => {
      // As provision.ts's malformed(): the case stops with DPS_MALFORMED_RESPONSE.
      const finding = createFinding('DPS_MALFORMED_RESPONSE', { host: DPS, topic, excerpt });
      this.deadline?.stop({ kind: 'failed', error: new RegistrationFailure(finding, undefined) });
    };
    this.transport = await createDpsTransport(
      this.session,
      'mqtt',
      { symmetricKey: KEY },
      { registrationId: this.clientId, idScope: ID_SCOPE },
      {
        tap: (topic, body) => {
          const problem = screenResponse(topic, body, this.last);
          if (problem !== undefined) stop(problem, topic);
          return problem === undefined;
        },
        onUnsafeTopic: (topic, reason) => stop(reason, topic),
      },
    );
  }

  async run(c: Case): Promise<string> {
    this.current = { c, n: 0 };
    this.last = {};
    const deadline = new Deadline(CASE_DEADLINE_MS);
    this.deadline = deadline;
    try {
      const value = await runRegistration({
        transport: this.transport,
        session: this.session,
        deadline,
        dps: this.dps,
        retry: { maxAttempts: 3, baseDelayMs: 10, jitter: 0 },
        last: this.last,
        request: { registrationId: this.clientId, provisioningHost: DPS, idScope: ID_SCOPE },
      });
      return outcomeOf(value, undefined);
    } catch (err) {
      return outcomeOf(undefined, err);
    } finally {
      deadline.dispose();
      this.current = undefined;
    }
  }

  /** As provision.ts closes after a failure: sockets first, then let the SDK reach "disconnected" (no waiting). */
  close(): void {
    this.transport.cancel(() => undefined);
    this.session.close();
    this.transport.disconnect(() => undefined);
  }
}

const cpuSeconds = (since: NodeJS.CpuUsage): string => {
  const u = process.cpuUsage(since);
  return ((u.user + u.system) / 1e6).toFixed(1);
};

function tally(outcomes: Map<string, number>, what: string): void {
  outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
}
const summary = (outcomes: Map<string, number>): string =>
  [...outcomes]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

describe('hardening (net): fuzzing DPS response topics and payloads from a real MQTT/TLS peer (fast-check, seeded)', function () {
  this.timeout(600_000);

  it(`our receiving path (SDK transport, topic guard, screenResponse, runRegistration): ${RUNS} cases over ${CHANNELS} long-lived connections`, async () => {
    const guard = guardProcess();
    const channels: Channel[] = [];
    const byClient = new Map<string, Channel>();
    const peer = await startFuzzPeer((id) => byClient.get(id)?.current);
    const { connector, calls } = recordingConnector(['tls', 'tcp', 'proxy']);
    const seed = seedOf(SEEDS.responses);
    const started = Date.now();
    const cpu = process.cpuUsage();
    try {
      const dps = await verifyEndpoint(DPS, { expectedCidrs: ['127.77.0.0/16'], dnsServers: [peer.dns.endpoint] });
      assert.equal(dps.verdict, 'private-in-vnet');
      for (let i = 0; i < CHANNELS; i++) {
        const ch = new Channel(i, peer, connector, dps);
        await ch.open();
        channels.push(ch);
        byClient.set(ch.clientId, ch);
      }
      const cases = fc.sample(caseArb, { seed, numRuns: RUNS });
      const outcomes = new Map<string, number>();
      const failures: string[] = [];
      let next = 0;
      await Promise.all(
        channels.map(async (ch) => {
          while (next < cases.length && failures.length === 0) {
            const i = next++;
            if (process.env['FUZZ_TRACE']) console.log(`case ${i} on channel ${ch.index}`);
            await ch.run(cases[i] as Case).then(
              (o) => {
                if (process.env['FUZZ_TRACE']) console.log(`case ${i}: ${o} ${JSON.stringify(cases[i]).slice(0, 400)}`);
                tally(outcomes, o);
              },
              (err: unknown) => failures.push(`case ${i} (seed ${seed}): ${(err as Error).message}\n${JSON.stringify(cases[i])}`), // prettier-ignore
            );
          }
        }),
      );
      await flushRejections();
      if (failures.length) assert.fail(failures.join('\n'));
      assert.deepEqual(guard.escaped, []);
      const foreign = calls.filter((c) => !c.includes(`${peer.address}:${peer.port}`));
      assert.deepEqual(foreign, [], 'a connection to something other than the peer');
      console.log(
        `      fuzz dpsResponses: ${cases.length} cases, seed ${seed}, ${peer.connections} connections ` +
          `(${CHANNELS} to start, the rest reconnects after a drop), ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
          `${cpuSeconds(cpu)} s of CPU in this process (the peer's included)`,
      );
      console.log(`      outcomes: ${summary(outcomes)}`);
    } finally {
      for (const ch of channels) ch.close();
      await peer.close();
      guard.dispose();
    }
  });

  it(`provisionDevice end to end: ${PROVISION_RUNS} cases, each its own connection; typed outcome within the deadline, nothing left open`, async () => {
    const guard = guardProcess();
    const running = new Map<string, { c: Case; n: number }>();
    const peer = await startFuzzPeer((id) => running.get(id));
    const { connector, calls } = recordingConnector(['tls', 'tcp', 'proxy']);
    const seed = seedOf(SEEDS.provisionings);
    const baseline = await baselineHandles();
    const started = Date.now();
    const timeoutMs = 1500;
    try {
      const cases = fc.sample(caseArb, { seed, numRuns: PROVISION_RUNS });
      const outcomes = new Map<string, number>();
      const failures: string[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < cases.length && failures.length === 0) {
          const i = next++;
          const registrationId = `fz-p${i}`;
          running.set(registrationId, { c: cases[i] as Case, n: 0 });
          const t0 = Date.now();
          await provisionDevice({
            provisioningHost: DPS,
            idScope: ID_SCOPE,
            registrationId,
            auth: { symmetricKey: KEY },
            network: { expectedCidrs: ['127.77.0.0/16'], dnsServers: [peer.dns.endpoint] },
            tls: { ca: peer.caPem },
            port: peer.port,
            timeoutMs,
            retry: { maxAttempts: 3, baseDelayMs: 10 },
            connector,
          })
            .then(
              (r) => {
                assert.equal(r.assignedHub, HUB.toLowerCase());
                return 'assigned';
              },
              (err: unknown) => {
                assert.ok(err instanceof DpsPrivateLinkError, `untyped rejection: ${String((err as Error)?.stack ?? err)}`); // prettier-ignore
                assert.ok(isCatalogueCode(err.code) || err.code.startsWith('ERR_'), err.code);
                return err.code;
              },
            )
            .then((o) => {
              // The deadline plus the 1 s cap on the graceful disconnect, plus a wide margin for a loaded machine.
              assert.ok(Date.now() - t0 < timeoutMs + 5000, `case ${i} took ${Date.now() - t0} ms`);
              tally(outcomes, o);
            })
            .catch((err: unknown) => {
              failures.push(`case ${i} (seed ${seed}): ${(err as Error).message}\n${JSON.stringify(cases[i])}`);
            })
            .finally(() => running.delete(registrationId));
        }
      };
      await Promise.all(Array.from({ length: PROVISION_CONCURRENCY }, worker));
      await flushRejections();
      if (failures.length) assert.fail(failures.join('\n'));
      assert.deepEqual(guard.escaped, []);
      const foreign = calls.filter((c) => !c.includes(`${peer.address}:${peer.port}`));
      assert.deepEqual(foreign, [], 'a connection to something other than the peer');
      peer.dropAll();
      assert.deepEqual(await settleLeftOpen(baseline, 5000), [], 'sockets or timers left open');
      console.log(
        `      fuzz dpsProvisionings: ${cases.length} cases, seed ${seed}, ${peer.connections} connections, ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      console.log(`      outcomes: ${summary(outcomes)}`);
    } finally {
      await peer.close();
      guard.dispose();
    }
  });
});
