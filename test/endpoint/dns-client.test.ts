import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { queryDnsServer } from '../../src/endpoint/dns-client';
import { parseDnsServer } from '../../src/endpoint/address';
import { AbortedError } from '../../src/errors';

const HOST = 'mydps.azure-devices-provisioning.net';

/** A hand-driven DNS peer on loopback: the test decides what (and from where) each query gets. */
async function fakeServer(
  onQuery: (q: dnsPacket.DecodedPacket, reply: (p: dnsPacket.Packet, from?: dgram.Socket) => void) => void,
) {
  const socket = dgram.createSocket('udp4');
  const other = dgram.createSocket('udp4');
  await Promise.all([
    new Promise<void>((r) => socket.bind(0, '127.0.0.1', r)),
    new Promise<void>((r) => other.bind(0, '127.0.0.1', r)),
  ]);
  socket.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    onQuery(q, (p, from = socket) => from.send(dnsPacket.encode(p), rinfo.port, rinfo.address));
  });
  return {
    server: parseDnsServer(`127.0.0.1:${socket.address().port}`, 'test'),
    other,
    close: () =>
      Promise.all([
        new Promise<void>((r) => socket.close(() => r())),
        new Promise<void>((r) => other.close(() => r())),
      ]),
  };
}

function response(q: dnsPacket.DecodedPacket, answers: dnsPacket.Answer[], flags = 0, id = q.id): dnsPacket.Packet {
  return { id, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE | flags, questions: q.questions, answers };
}

const udpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
/** A closed UDP handle leaves the active list a few ticks after close(). */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('queryDnsServer (our UDP client)', () => {
  it('ignores answers from another port and answers with the wrong id, and takes the real one', async () => {
    const fake = await fakeServer((q, reply) => {
      const type = q.questions?.[0]?.type;
      const spoof = type === 'A' ? [{ type: 'A' as const, name: HOST, data: '20.61.4.5', ttl: 5 }] : [];
      reply(response(q, spoof), fake.other); // right id, wrong source port
      reply(response(q, spoof, 0, (q.id! + 1) % 65536)); // right source, wrong id
      setTimeout(
        () => reply(response(q, type === 'A' ? [{ type: 'A', name: HOST, data: '10.1.2.4', ttl: 7 }] : [])),
        20,
      );
    });
    try {
      const answer = await queryDnsServer(fake.server, HOST, { timeoutMs: 1000 });
      assert.deepEqual(answer.records, [{ address: '10.1.2.4', family: 4, ttl: 7 }]);
      assert.equal(answer.rcode, 'NOERROR');
    } finally {
      await fake.close();
    }
  });

  it('uses the A answer when AAAA never comes, and says which query went unanswered', async () => {
    const fake = await fakeServer((q, reply) => {
      if (q.questions?.[0]?.type === 'A') reply(response(q, [{ type: 'A', name: HOST, data: '10.1.2.4', ttl: 7 }]));
    });
    try {
      const answer = await queryDnsServer(fake.server, HOST, { timeoutMs: 200 });
      assert.deepEqual(
        answer.records.map((r) => r.address),
        ['10.1.2.4'],
      );
      assert.deepEqual(answer.unanswered, ['AAAA']);
      assert.equal(answer.error, undefined);
    } finally {
      await fake.close();
    }
  });

  it('asks again over TCP when the UDP answer is truncated, and takes the full answer', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `10.1.3.${i + 1}`);
    const fake = await fakeServer((q, reply) => reply(response(q, [], dnsPacket.TRUNCATED_RESPONSE)));
    let tcpQueries = 0;
    const tcp = net.createServer((conn) => {
      conn.once('data', (frame: Buffer) => {
        tcpQueries++;
        const q = dnsPacket.streamDecode(frame) as dnsPacket.DecodedPacket;
        const answers: dnsPacket.Answer[] =
          q.questions?.[0]?.type === 'A' ? many.map((data) => ({ type: 'A', name: HOST, data, ttl: 9 })) : [];
        conn.end(dnsPacket.streamEncode(response(q, answers)));
      });
    });
    await new Promise<void>((r) => tcp.listen(fake.server.port, '127.0.0.1', r));
    try {
      const answer = await queryDnsServer(fake.server, HOST, { timeoutMs: 1000 });
      assert.equal(tcpQueries, 2, 'A and AAAA were both retried over TCP');
      assert.deepEqual(
        answer.records.map((r) => r.address),
        many,
      );
      assert.equal(answer.error, undefined);
    } finally {
      await new Promise<void>((r) => tcp.close(() => r()));
      await fake.close();
    }
  });

  it('reports a truncated answer as truncated when the TCP retry fails too', async () => {
    const fake = await fakeServer((q, reply) => reply(response(q, [], dnsPacket.TRUNCATED_RESPONSE)));
    try {
      const answer = await queryDnsServer(fake.server, HOST, { timeoutMs: 500 });
      assert.equal(answer.error, 'truncated');
      assert.deepEqual(answer.records, []);
    } finally {
      await fake.close();
    }
  });

  it('stops at a CNAME loop instead of spinning', async () => {
    const fake = await fakeServer((q, reply) =>
      reply(
        response(q, [
          { type: 'CNAME', name: HOST, data: 'b.example' },
          { type: 'CNAME', name: 'b.example', data: HOST },
        ]),
      ),
    );
    try {
      const answer = await queryDnsServer(fake.server, HOST, { timeoutMs: 500 });
      assert.deepEqual(answer.chain, [HOST, 'b.example']);
      assert.deepEqual(answer.records, []);
      // Not an empty NOERROR (what a rebind filter sends): the chain itself is broken.
      assert.equal(answer.error, 'CNAME loop');
    } finally {
      await fake.close();
    }
  });

  it('closes its socket after a timeout and after an abort', async () => {
    const fake = await fakeServer(() => {});
    try {
      await settle();
      const before = udpHandles();
      await queryDnsServer(fake.server, HOST, { timeoutMs: 50 });
      await settle();
      assert.equal(udpHandles(), before, 'closed after a timeout');
      const controller = new AbortController();
      const pending = queryDnsServer(fake.server, HOST, { timeoutMs: 5000, signal: controller.signal });
      await settle();
      assert.equal(udpHandles(), before + 1, 'one socket while the query is pending');
      controller.abort();
      await assert.rejects(pending, AbortedError);
      await settle();
      assert.equal(udpHandles(), before, 'closed after an abort');
    } finally {
      await fake.close();
    }
  });
});
