// Bytes from a hostile DPS that are no MQTT packet a broker may send, arranged against the moment the device is in:
// the SDK over mqtt.js 4 threw uncaught exceptions for these ("callback is not a function" from the provisioning
// transport's state machine, "Cannot read properties of null (reading 'get')" from mqtt.js's closed store). Each case
// must end in a typed error with nothing escaping and nothing left open.
import assert from 'node:assert/strict';
import * as mqttPacket from 'mqtt-packet';
import { DpsPrivateLinkError, provisionDevice } from '../../src/index';
import { baselineHandles, flushRejections, guardProcess, settleLeftOpen } from './net-process-guard';
import { startHostilePeer, type PeerScript } from './net-hostile-peer';

const PAGE = Buffer.from(`HTTP/1.1 400 Bad Request\r\nContent-Length: 200\r\n\r\n${'<html>'.repeat(40)}`);
const CONNACK = mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false });
/** A PUBLISH whose framing is sound but whose topic length runs past its end: mqtt-packet's "Cannot parse topic". */
const BAD_PUBLISH = Buffer.from([0x30, 0x02, 0x00, 0x05]);
/** Long enough that the SUBACK arrives in a later read than the bytes before it, short against the deadline. */
const GAP_MS = 40;
const ITERATIONS = 3;

/** Answers SUBSCRIBE with `first`, then (GAP_MS later) the SUBACK the device waits for. */
function beforeSuback(first: Buffer): PeerScript {
  return {
    onSubscribe: (conn, p) => {
      conn.socket.write(first);
      setTimeout(() => conn.send({ cmd: 'suback', messageId: p.messageId, granted: [1] }), GAP_MS);
      return false;
    },
  };
}

const CASES: { name: string; script: PeerScript; codes: string[] }[] = [
  {
    // One write, one TLS record, one read: mqtt.js parses the CONNACK and fails on the next byte in the same pass.
    name: 'CONNACK and an HTTP error page in one TLS record',
    script: { onConnect: (conn) => (conn.socket.write(Buffer.concat([CONNACK, PAGE])), false) },
    codes: ['DPS_MALFORMED_RESPONSE'],
  },
  {
    // The page fails the parser while SUBSCRIBE is pending; the SUBACK after it completes the subscription
    // the SDK is already tearing down, and its second teardown ran without a callback.
    name: 'an HTTP error page while SUBSCRIBE is pending, then the SUBACK',
    script: beforeSuback(PAGE),
    codes: ['DPS_MALFORMED_RESPONSE'],
  },
  {
    // Framed like a packet (the frame guard passes it): mqtt-packet's own error after CONNACK, then the SUBACK.
    name: 'a well-framed but unparsable PUBLISH while SUBSCRIBE is pending, then the SUBACK',
    script: beforeSuback(BAD_PUBLISH),
    codes: ['DPS_CONNECTION_LOST'],
  },
];

describe('hardening: bytes no broker sends, against the device state', function () {
  this.timeout(60_000);
  for (const c of CASES) {
    it(`${c.name} (${ITERATIONS} times): a typed error, nothing escapes or stays open`, async () => {
      for (let i = 0; i < ITERATIONS; i++) await runCase(c.script, c.codes, i);
    });
  }
});

async function runCase(script: PeerScript, codes: string[], i: number): Promise<void> {
  const host = `garbage-${Math.random().toString(36).slice(2, 8)}.azure-devices-provisioning.net`;
  const peer = await startHostilePeer(host, script);
  const guard = guardProcess();
  const baseline = await baselineHandles();
  let outcome: unknown;
  try {
    outcome = await provisionDevice({
      provisioningHost: host,
      idScope: '0ne00000001',
      registrationId: 'dev-1',
      auth: { symmetricKey: Buffer.alloc(32, 7).toString('base64') },
      network: { expectedCidrs: ['127.77.0.0/16'], dnsServers: [peer.dns.endpoint] },
      tls: { ca: peer.caPem },
      port: peer.port,
      transport: 'mqtt',
      timeoutMs: 5000,
      retry: { maxAttempts: 1, baseDelayMs: 50 },
    }).then(
      () => 'provisioned',
      (e: unknown) => e,
    );
    await flushRejections(GAP_MS * 3);
  } finally {
    guard.dispose();
    peer.dropAll();
  }
  assert.deepEqual(guard.escaped, [], `iteration ${i}: unhandled rejection or uncaught exception`);
  assert.ok(outcome instanceof DpsPrivateLinkError, `iteration ${i}: ${String(outcome)}`);
  assert.ok(codes.includes(outcome.code), `iteration ${i}: ${outcome.code} (${outcome.message})`);
  assert.deepEqual(await settleLeftOpen(baseline, 3000), [], `iteration ${i}: handles left open`);
  await peer.close();
}
