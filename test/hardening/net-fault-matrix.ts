// The network fault matrix, one shared suite run by each transport's test file (net-fault-matrix-mqtt.test.ts,
// net-fault-matrix-mqtt-ws.test.ts), as test/transports/provisioning-suite.ts is. Each case arranges one DNS view or
// DPS/hub fault in the lab (or, where the lab has none, a hostile peer built here), provisions, and on success hands
// off to the hub. Checked in every case, whatever the outcome:
//  - zero connection attempts outside the expected ranges, counted at the injected connector (every TLS socket and
//    proxy tunnel it was asked for) and at the lab's public twins (nothing arrived there);
//  - success within the deadline, or a typed error (DpsPrivateLinkError) with the code the case expects;
//  - no unhandled rejection and no uncaught exception (process listeners installed for the case);
//  - no socket or timer left open afterwards (process.getActiveResourcesInfo back to the baseline).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { createHubClient, DpsPrivateLinkError, openHubClient, provisionDevice } from '../../src/index';
import type { LabDevice, LabFault, LabHandle, ProvisionOptions, TransportName } from '../../src/index';
import type { LabDnsView } from '../../src/lab/types';
import { isInCidrs, parseCidrs } from '../../src/endpoint/address';
import { recordingConnector } from '../support/recording-connector';
import { NETNS_NOTE, optionsFor, startTestLab } from '../support/provision-lab';
import { baselineHandles, flushRejections, guardProcess, settleLeftOpen } from './net-process-guard';
import { ridOf, startHostilePeer, type HostilePeer } from './net-hostile-peer';

/** What a case expects: success (and a working hub hand-off), or a typed error with one of these codes. */
type Outcome = 'ok' | string[];

interface FaultCase {
  name: string;
  /** Sets the fault up; may return options to merge (e.g. a hostile peer's host, DNS and CA). */
  arrange?(ctx: CaseContext): void | Partial<ProvisionOptions> | Promise<void | Partial<ProvisionOptions>>;
  /** Outcome of provisionDevice. */
  provision: Outcome;
  /** Outcome of createHubClient + openHubClient, when provisioning succeeded. Default 'ok'. */
  hub?: Outcome;
  /** Only over these transports (the hostile peer speaks MQTT over TLS only). */
  only?: TransportName;
}

interface CaseContext {
  lab: LabHandle;
  device: LabDevice;
  transport: TransportName;
  /** Registers a resource the case created, closed after the case. */
  own(close: () => Promise<void>): void;
}

const TIMEOUT_MS = 3000;
/** What the deadline may overrun by: the graceful close after it, on 2 shared cores. */
const SLACK_MS = 2000;

const view =
  (v: LabDnsView, target: 'dps' | 'hub' = 'dps') =>
  ({ lab }: CaseContext): void =>
    lab.setDnsView(v, target);
const fault =
  (f: LabFault) =>
  ({ lab, device }: CaseContext): void =>
    lab.setFault(f, { registrationId: device.registrationId });

/** A raw UDP DNS server on loopback answering every A query with a 2-byte record (truncated rdata). */
async function truncatedDns(ctx: CaseContext): Promise<Partial<ProvisionOptions>> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (q, rinfo) => {
    let end = 12;
    while (q[end] !== 0 && end < q.length) end += (q[end] as number) + 1;
    end += 5;
    const header = Buffer.from(q.subarray(0, 12));
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(1, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(0, 10);
    const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 2, 127, 10]);
    socket.send(Buffer.concat([header, q.subarray(12, end), rr]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  ctx.own(() => new Promise((r) => socket.close(() => r())));
  const { port } = socket.address() as AddressInfo;
  return { network: { expectedCidrs: ctx.lab.vnetCidrs, dnsServers: [`127.0.0.1:${port}`] } };
}

/** A hostile DPS (MQTT over TLS) in the lab VNET's stead, scripted per case. */
async function hostile(ctx: CaseContext, script: Parameters<typeof startHostilePeer>[1]) {
  const host = `matrix-${Math.random().toString(36).slice(2, 8)}.azure-devices-provisioning.net`;
  const peer: HostilePeer = await startHostilePeer(host, script);
  ctx.own(() => peer.close());
  return {
    provisioningHost: host,
    network: { expectedCidrs: ['127.77.0.0/16'], dnsServers: [peer.dns.endpoint] },
    tls: { ca: peer.caPem },
    port: peer.port,
  };
}

const CASES: FaultCase[] = [
  { name: 'healthy (control)', provision: 'ok' },
  // DNS
  { name: 'DNS: public view (zone not linked)', arrange: view('public'), provision: ['DNS_PRIVATELINK_NOT_PRIVATE'] },
  // The lab's "public" endpoint is a loopback address outside the VNET: classified as outside the VNET.
  {
    name: 'DNS: no privatelink CNAME',
    arrange: view('no-privatelink'),
    provision: ['DNS_NO_PRIVATELINK_CNAME', 'DNS_OUTSIDE_VNET'],
  },
  {
    name: 'DNS: privatelink record missing',
    arrange: view('privatelink-missing'),
    provision: ['DNS_PRIVATELINK_RECORD_MISSING'],
  },
  { name: 'DNS: outside the VNET (10.99.0.4)', arrange: view('outside-vnet'), provision: ['DNS_OUTSIDE_VNET'] },
  { name: 'DNS: mixed private and public answers', arrange: view('mixed'), provision: 'ok' },
  { name: 'DNS: NXDOMAIN', arrange: view('nxdomain'), provision: ['DNS_NXDOMAIN'] },
  { name: 'DNS: SERVFAIL', arrange: view('servfail'), provision: ['DNS_SERVFAIL'] },
  { name: 'DNS: silent resolver', arrange: view('drop'), provision: ['DNS_TIMEOUT', 'DPS_TIMEOUT'] },
  {
    name: 'DNS: CNAME loop',
    arrange: ({ lab }) => {
      lab.dns.setRecord(lab.dps.host, { cname: `loop.${lab.dps.host}` });
      lab.dns.setRecord(`loop.${lab.dps.host}`, { cname: lab.dps.host });
    },
    provision: ['DNS_QUERY_FAILED', 'DNS_NO_PRIVATELINK_CNAME', 'DNS_SERVFAIL', 'DNS_NXDOMAIN'],
  },
  {
    name: 'DNS: TTL 0 on the private answer',
    arrange: ({ lab }) => lab.dns.setRecord(lab.dps.privatelinkHost, { a: [lab.dps.address], ttl: 0 }),
    provision: 'ok',
  },
  {
    name: 'DNS: rebinding to the public twin right after verification',
    arrange: ({ lab }) => ({
      onProgress: (e) => {
        if (e.step === 'verified') lab.setDnsView('public');
      },
    }),
    provision: 'ok',
  },
  { name: 'DNS: truncated A rdata (2 bytes)', arrange: truncatedDns, provision: ['DNS_QUERY_FAILED'] },
  // DPS
  { name: 'DPS: 429 storm', arrange: fault({ kind: 'throttle', retryAfterSeconds: 0 }), provision: ['DPS_THROTTLED'] },
  { name: 'DPS: 429 twice, then assigned', arrange: fault({ kind: 'throttle', times: 2 }), provision: 'ok' },
  { name: 'DPS: 503 storm', arrange: fault({ kind: 'server-error', status: 503 }), provision: ['DPS_SERVER_ERROR'] },
  {
    name: 'DPS: 401 from the private endpoint',
    arrange: fault({ kind: 'error-status', status: 401, errorCode: 401002 }),
    provision: ['DPS_UNAUTHORIZED'],
  },
  {
    name: 'DPS: drop after CONNACK, every time',
    arrange: fault({ kind: 'drop-after-connack' }),
    provision: ['DPS_CONNECTION_LOST'],
  },
  { name: 'DPS: drop after CONNACK once', arrange: fault({ kind: 'drop-after-connack', times: 1 }), provision: 'ok' },
  { name: 'DPS: drop mid-poll once', arrange: fault({ kind: 'drop-mid-poll', times: 1 }), provision: 'ok' },
  {
    name: 'DPS: drop mid-poll, every time',
    arrange: fault({ kind: 'drop-mid-poll' }),
    provision: ['DPS_CONNECTION_LOST'],
  },
  { name: 'DPS: silence after the request', arrange: fault({ kind: 'never-answer' }), provision: ['DPS_TIMEOUT'] },
  {
    name: 'DPS: malformed JSON',
    arrange: fault({ kind: 'malformed-json' }),
    provision: ['DPS_MALFORMED_RESPONSE'],
  },
  {
    name: 'DPS: oversized payload',
    // 1 MiB of padding in a valid 202: nothing wrong with it but its size.
    arrange: fault({ kind: 'oversized-payload' }),
    provision: 'ok',
  },
  {
    name: 'DPS: registration failed',
    arrange: fault({ kind: 'failed', errorCode: 400208 }),
    provision: ['DPS_REGISTRATION_FAILED'],
  },
  {
    name: 'DPS: disabled enrollment',
    arrange: async (ctx) => {
      ctx.device = await ctx.lab.createDevice(`${ctx.device.registrationId}-off`, 'symmetric-key', {
        status: 'disabled',
      });
    },
    provision: ['DPS_UNAUTHORIZED', 'DPS_REGISTRATION_FAILED', 'DPS_ENROLLMENT_DISABLED'],
  },
  {
    name: 'DPS: garbage bytes after CONNACK',
    only: 'mqtt',
    arrange: (ctx) =>
      hostile(ctx, {
        onConnect: (conn) => {
          conn.send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
          // Not MQTT: an HTTP error page (0x48 'H' reads as a PUBACK with reserved flag bits set).
          const page = `HTTP/1.1 400 Bad Request\r\nContent-Length: 200\r\n\r\n${'<html>'.repeat(40)}`;
          setTimeout(() => conn.socket.write(page), 20);
          return false;
        },
      }),
    provision: ['DPS_CONNECTION_LOST', 'DPS_MALFORMED_RESPONSE'],
  },
  {
    name: 'DPS: $rid=__proto__ in the answer',
    only: 'mqtt',
    arrange: (ctx) =>
      hostile(ctx, {
        onPublish: (conn, p) => {
          if (p.topic.includes('/PUT/')) conn.publish('$dps/registrations/res/200/?$rid=__proto__', '{}');
        },
      }),
    provision: ['DPS_MALFORMED_RESPONSE'],
  },
  {
    name: 'DPS: JSON nested 100,000 deep',
    only: 'mqtt',
    arrange: (ctx) =>
      hostile(ctx, {
        onPublish: (conn, p) => {
          if (p.topic.includes('/PUT/')) {
            conn.publish(`$dps/registrations/res/200/?$rid=${ridOf(p.topic)}`, `{"a":${'['.repeat(1e5)}}`);
          }
        },
      }),
    provision: ['DPS_MALFORMED_RESPONSE'],
  },
  // hub
  { name: 'hub: resolves publicly', arrange: view('public', 'hub'), provision: 'ok', hub: ['HUB_PUBLIC_ADDRESS'] },
  {
    name: 'hub: outside the VNET (10.99.0.4)',
    arrange: view('outside-vnet', 'hub'),
    provision: 'ok',
    hub: ['HUB_OUTSIDE_VNET'],
  },
  { name: 'hub: NXDOMAIN', arrange: view('nxdomain', 'hub'), provision: 'ok', hub: ['HUB_UNRESOLVED'] },
];

/** Number of cases per transport (for the report). */
export const faultMatrixSize = (transport: TransportName): number =>
  CASES.filter((c) => !c.only || c.only === transport).length;

/** Defines the fault matrix for `transport`. */
export function faultMatrix(transport: TransportName): void {
  describe(`${transport}: network fault matrix (${faultMatrixSize(transport)} cases; ${NETNS_NOTE})`, function () {
    this.timeout(20_000);
    let lab: LabHandle;
    let n = 0;
    before(async () => {
      lab = await startTestLab();
    });
    after(() => lab.close());

    for (const c of CASES) {
      if (c.only && c.only !== transport) continue;
      it(c.name, async () => {
        const owned: (() => Promise<void>)[] = [];
        const guard = guardProcess();
        const baseline = await baselineHandles();
        const before = { ...lab.counters.connections };
        const { calls, connector } = recordingConnector(['tls', 'inspect', 'proxy']);
        const ctx: CaseContext = {
          lab,
          device: await lab.createDevice(`matrix-${transport}-${++n}`, 'symmetric-key'),
          transport,
          own: (close) => owned.push(close),
        };
        let cidrs = lab.vnetCidrs;
        try {
          const over = (await c.arrange?.(ctx)) ?? {};
          // Short retry delays: a case that retries must reach its own code well within the deadline.
          const base = optionsFor(lab, ctx.device, {
            transport,
            timeoutMs: TIMEOUT_MS,
            connector,
            retry: { maxAttempts: 3, baseDelayMs: 50 },
          });
          const options = { ...base, ...over };
          cidrs = options.network.expectedCidrs;
          const started = Date.now();
          const outcome = await provisionDevice(options).then(
            (r) => ({ ok: true as const, result: r }),
            (e: unknown) => ({ ok: false as const, error: e }),
          );
          const elapsed = Date.now() - started;
          assert.ok(elapsed <= TIMEOUT_MS + SLACK_MS, `settled after ${elapsed} ms (deadline ${TIMEOUT_MS} ms)`);
          expectOutcome('provisionDevice', c.provision, outcome);
          if (outcome.ok) {
            const hubOutcome = await openHub(outcome.result, ctx.device, connector);
            expectOutcome('the hub hand-off', c.hub ?? 'ok', hubOutcome);
          }
        } finally {
          lab.setFault(undefined);
          lab.setDnsView('private');
          lab.setDnsView('private', 'hub');
          for (const close of owned) await close();
          await flushRejections();
          guard.dispose();
        }
        // Every socket the connector was asked for went to an address inside the ranges, and nothing reached the
        // lab's public twins.
        const ranges = parseCidrs(cidrs, 'cidrs');
        const outside = calls.filter((line) => {
          const addresses = (line.split(' ')[2] ?? '').replace(/:\d+$/, '').split(',');
          return addresses.some((a) => !isInCidrs(a, ranges));
        });
        assert.deepEqual(outside, [], 'connection attempts outside the expected ranges');
        assert.equal(lab.counters.connections.publicTwin, before.publicTwin, 'the public DPS twin was reached');
        assert.equal(lab.counters.connections.hubPublic, before.hubPublic, 'the public hub twin was reached');
        assert.deepEqual(guard.escaped, [], 'unhandled rejection or uncaught exception');
        assert.deepEqual(await settleLeftOpen(baseline, 3000), [], 'handles left open');
      });
    }

    async function openHub(
      result: Awaited<ReturnType<typeof provisionDevice>>,
      device: LabDevice,
      connector: ReturnType<typeof recordingConnector>['connector'],
    ): Promise<{ ok: true } | { ok: false; error: unknown }> {
      try {
        const client = createHubClient(result, device.auth, {
          tls: { ca: lab.caPem },
          port: lab.hub.port,
          wsPort: lab.hub.wsPort,
          connector,
        });
        try {
          await openHubClient(client, { timeoutMs: TIMEOUT_MS });
          return { ok: true };
        } finally {
          await client.close().catch(() => undefined);
        }
      } catch (error) {
        return { ok: false, error };
      }
    }
  });
}

function expectOutcome(what: string, expected: Outcome, got: { ok: boolean; error?: unknown }): void {
  if (expected === 'ok') {
    assert.ok(got.ok, `${what} failed: ${String((got.error as Error)?.stack ?? got.error)}`);
    return;
  }
  assert.ok(!got.ok, `${what} succeeded; expected ${expected.join(' or ')}`);
  const err = got.error;
  assert.ok(err instanceof DpsPrivateLinkError, `${what}: untyped ${String((err as Error)?.stack ?? err)}`);
  assert.ok(expected.includes(err.code), `${what}: ${err.code} (${err.message}); expected ${expected.join(' or ')}`);
}
