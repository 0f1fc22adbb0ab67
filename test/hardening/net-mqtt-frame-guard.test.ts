// The fixed-header check in front of mqtt.js (src/connection/mqtt-frame-guard.ts), fed real packets from
// mqtt-packet's generator, whole and split at every byte.
import assert from 'node:assert/strict';
import * as mqttPacket from 'mqtt-packet';
import { createFrameGuard } from '../../src/connection/mqtt-frame-guard';

const gen = (p: object): Buffer => mqttPacket.generate(p as mqttPacket.Packet);
const BROKER_STREAM = Buffer.concat([
  gen({ cmd: 'connack', returnCode: 0, sessionPresent: false }),
  gen({ cmd: 'suback', messageId: 7, granted: [1] }),
  gen({ cmd: 'puback', messageId: 8 }),
  // A remaining length of 3 bytes (over 16 KiB).
  gen({ cmd: 'publish', topic: '$dps/registrations/res/202/?$rid=1', payload: Buffer.alloc(20_000, 0x20), qos: 0 }),
  gen({ cmd: 'publish', topic: 't', payload: 'x', qos: 1, messageId: 9 }),
  gen({ cmd: 'pubrel', messageId: 9 }),
  gen({ cmd: 'unsuback', messageId: 10 }),
  gen({ cmd: 'pingresp' }),
]);

describe('hardening: the MQTT frame guard', () => {
  it('passes what a broker sends, in one chunk or split at any byte', () => {
    assert.equal(createFrameGuard().check(BROKER_STREAM), undefined);
    for (const cut of [1, 2, 3, 5, 17, 100, 16_385, 20_050]) {
      const guard = createFrameGuard();
      assert.equal(guard.check(BROKER_STREAM.subarray(0, cut)), undefined, `cut at ${cut}`);
      assert.equal(guard.check(BROKER_STREAM.subarray(cut)), undefined, `cut at ${cut}`);
    }
  });

  it('stops at an HTTP error page after a CONNACK, pointing at its first byte', () => {
    const connack = gen({ cmd: 'connack', returnCode: 0, sessionPresent: false });
    const v = createFrameGuard().check(Buffer.concat([connack, Buffer.from('HTTP/1.1 400 Bad Request\r\n')]));
    assert.ok(v);
    assert.equal(v.at, connack.length);
    assert.match(v.reason, /packet type 4 with reserved flag bits 0x8/);
    assert.match(v.excerpt, /^HTTP\/1\.1 400/);
  });

  for (const [name, bytes] of [
    [
      'a client-only packet (SUBSCRIBE)',
      gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 't', qos: 0 }] }),
    ],
    ['a PUBLISH with QoS 3', Buffer.from([0x36, 0x03, 0x00, 0x01, 0x74])],
    ['a remaining length of 5 bytes', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['a CONNACK of 3 bytes', Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00])],
    ['a PINGRESP with a body', Buffer.from([0xd0, 0x01, 0x00])],
    ['a SUBACK without a return code', Buffer.from([0x90, 0x02, 0x00, 0x01])],
  ] as const) {
    it(`stops at ${name}`, () => {
      assert.ok(createFrameGuard().check(bytes));
    });
  }
});
