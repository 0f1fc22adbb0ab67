// Issue 14 item 8: truncated rdata must not invent addresses. A 2-byte A record used to become
// `10.1.undefined.undefined`, a 9-byte AAAA a zero-filled address that ranges like '::/0' accept. Every record is
// checked (rdata length, net.isIP); a malformed answer is a DNS failure finding. The server here is a raw UDP socket
// on loopback that sends hand-made bytes: no DNS library on the serving side that would refuse to encode them.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { verifyEndpoint } from '../../src/index';

const HOST = 'truncated-rdata.azure-devices-provisioning.net';

/** What the raw server answers to a query of `type` (1 = A, 28 = AAAA): the rdata bytes of one record, or none. */
type Rdata = Partial<Record<1 | 28, number[]>>;

/** A DNS response to `query` with one answer record per type in `rdata`, its rdlength = the bytes given. */
function craft(query: Buffer, rdata: Rdata): Buffer {
  const id = query.readUInt16BE(0);
  // The question section: from byte 12 to the end of QNAME, plus QTYPE and QCLASS.
  let end = 12;
  while (query[end] !== 0) end += query[end] + 1;
  end += 5;
  const question = query.subarray(12, end);
  const qtype = query.readUInt16BE(end - 4) as 1 | 28;
  const bytes = rdata[qtype];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8180, 2); // response, RD, RA, NOERROR
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(bytes ? 1 : 0, 6);
  if (!bytes) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  rr.writeUInt16BE(qtype, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(60, 6);
  rr.writeUInt16BE(bytes.length, 10);
  return Buffer.concat([header, question, rr, Buffer.from(bytes)]);
}

async function rawDns(rdata: Rdata): Promise<{ endpoint: string; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(craft(msg, rdata), rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  return { endpoint: `127.0.0.1:${port}`, close: () => new Promise((r) => socket.close(() => r())) };
}

describe('truncated or malformed DNS records never become addresses (issue 14 item 8)', () => {
  const cases: [string, Rdata][] = [
    ['a 2-byte A record', { 1: [10, 1] }],
    ['a 5-byte A record', { 1: [127, 10, 0, 4, 9] }],
    ['a 9-byte AAAA record', { 28: [0, 0, 0, 0, 0, 0, 0, 0, 0] }],
    ['a 17-byte AAAA record', { 28: [0xfd, ...new Array<number>(15).fill(0), 1] }],
    ['a 0-byte A record next to a good AAAA', { 1: [], 28: [0xfd, ...new Array<number>(15).fill(0)] }],
  ];
  for (const [what, rdata] of cases) {
    it(`${what}: no address, DNS_QUERY_FAILED naming the malformed answer`, async () => {
      const dns = await rawDns(rdata);
      try {
        const report = await verifyEndpoint(HOST, {
          expectedCidrs: ['0.0.0.0/0', '::/0'],
          dnsServers: [dns.endpoint],
        });
        assert.deepEqual(
          report.addresses.map((a) => a.address),
          [],
        );
        assert.notEqual(report.verdict, 'private-in-vnet');
        const failed = report.findings.find((f) => f.code === 'DNS_QUERY_FAILED');
        assert.ok(failed, report.findings.map((f) => f.code).join(','));
        assert.equal(failed.severity, 'error');
        assert.match(String(failed.evidence.error), /malformed/);
      } finally {
        await dns.close();
      }
    });
  }

  it('well-formed records from the same raw server still resolve (the test server is sound)', async () => {
    const dns = await rawDns({ 1: [127, 10, 0, 4], 28: [0xfd, ...new Array<number>(14).fill(0), 4] });
    try {
      const report = await verifyEndpoint(HOST, {
        expectedCidrs: ['127.10.0.0/16', 'fd00::/8'],
        dnsServers: [dns.endpoint],
      });
      assert.deepEqual(report.addresses.map((a) => a.address).sort(), ['127.10.0.4', 'fd00::4']);
    } finally {
      await dns.close();
    }
  });
});
