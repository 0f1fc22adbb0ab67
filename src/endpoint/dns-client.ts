import net from 'node:net';
import { randomInt } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import ipaddr from 'ipaddr.js';
import { AbortedError } from '../errors';
import { logger } from '../log';
import { abortable } from '../support/abort';
import { systemSockets, type Sockets } from '../support/sockets';
import type { DnsServerAddress } from './address';

const log = logger('endpoint:dns');

/** One address record from an answer. */
export interface DnsAddressRecord {
  address: string;
  family: 4 | 6;
  ttl: number;
}

/** What one DNS server said about a host, before classification. */
export interface DnsServerAnswer {
  chain: string[];
  records: DnsAddressRecord[];
  rcode?: string;
  error?: string;
  unanswered?: ('A' | 'AAAA')[];
}

type QType = 'A' | 'AAAA';
const QTYPES: readonly QType[] = ['A', 'AAAA'];
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
const MAX_CHAIN = 16;
/** Large enough for any realistic A/AAAA answer; small enough to avoid IP fragmentation (the DNS Flag Day value). */
const EDNS_UDP_SIZE = 1232;

/**
 * Asks one DNS server for the A and AAAA records of `host`, both queries sent together (one round trip). Unanswered
 * queries are sent once more at half the timeout; a truncated answer is asked again over TCP; `timeoutMs` caps the
 * whole exchange. Never rejects except with
 * AbortedError: failures come back as `error` / `rcode`.
 */
export function queryDnsServer(
  server: DnsServerAddress,
  host: string,
  options: { timeoutMs: number; signal?: AbortSignal; sockets?: Sockets },
): Promise<DnsServerAnswer> {
  // Before the socket: abortable() below rejects at once without calling cleanup, which would leave it open.
  if (options.signal?.aborted) {
    return Promise.reject(new AbortedError(`resolving ${host} with DNS server ${server.label}`, options.signal.reason));
  }
  const sockets = options.sockets ?? systemSockets;
  const socket = sockets.openUdp(server.address);
  const timers: NodeJS.Timeout[] = [];
  const tcpSockets = new Set<net.Socket>();
  let closed = false;
  const cleanup = (): void => {
    for (const t of timers) clearTimeout(t);
    for (const t of tcpSockets) t.destroy();
    if (!closed) {
      closed = true;
      socket.close();
    }
  };
  const serverIp = ipaddr.parse(server.address).toNormalizedString();

  const run = (): Promise<DnsServerAnswer> =>
    new Promise<DnsServerAnswer>((resolve) => {
      const firstId = randomInt(0, 0x10000);
      const ids: Record<QType, number> = { A: firstId, AAAA: (firstId + 1 + randomInt(0, 0xfffe)) % 0x10000 };
      const responses = new Map<QType, dnsPacket.DecodedPacket>();
      const queries = new Map<QType, Buffer>(QTYPES.map((type) => [type, encodeQuery(host, type, ids[type])]));
      let malformed: string | undefined;
      const finish = (error?: string): void => {
        if (closed) return;
        cleanup();
        resolve(malformed ? { chain: [host], records: [], error: malformed } : combine(host, responses, error));
      };
      const send = (type: QType): void => {
        socket.send(queries.get(type) as Buffer, server.port, server.address, (err) => {
          if (err) {
            log('send to %s failed: %s', server.label, err.message);
            finish((err as NodeJS.ErrnoException).code ?? err.message);
          }
        });
      };

      // `raw` is required: a packet accepted without its bytes would skip the record check (a truncated answer
      // standing after a failed TCP retry once did, and a 0-byte A record became `undefined.undefined…`).
      const accept = (type: QType, packet: dnsPacket.DecodedPacket, raw: Buffer): void => {
        // One bad record spoils the answer: its decoder read past it (or short of it), so nothing in it is trusted.
        const bad = malformedRecord(raw, packet);
        if (bad) {
          log('malformed answer from %s: %s', server.label, bad);
          malformed = `malformed answer (${bad})`;
          finish();
          return;
        }
        responses.set(type, packet);
        if (responses.size === QTYPES.length) finish();
      };
      const truncatedTypes = new Set<QType>();
      // A truncated UDP answer is asked again over TCP (RFC 7766), within the same timeout; if that fails, the
      // truncated answer stands and is reported as such.
      const retryOverTcp = (type: QType, truncated: dnsPacket.DecodedPacket, truncatedRaw: Buffer): void => {
        truncatedTypes.add(type);
        const isOurs = (p: dnsPacket.DecodedPacket): boolean => {
          const q = p.questions?.[0];
          return p.id === ids[type] && !!q && q.type === type && sameName(q.name, host);
        };
        const tcp = askOverTcp(sockets, server, queries.get(type) as Buffer, isOurs, (answer) => {
          if (answer) accept(type, answer.packet, answer.raw);
          else if (!responses.has(type)) accept(type, truncated, truncatedRaw);
        });
        tcpSockets.add(tcp);
      };

      socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
      socket.on('message', (msg, rinfo) => {
        // Only the server we asked, with our id and our question, may answer (no spoofed or stray packets).
        if (rinfo.port !== server.port || !ipaddr.isValid(rinfo.address)) return;
        if (ipaddr.parse(rinfo.address).toNormalizedString() !== serverIp) return;
        let packet: dnsPacket.DecodedPacket;
        try {
          packet = dnsPacket.decode(msg);
        } catch (err) {
          log('undecodable answer from %s: %s', server.label, (err as Error).message);
          return;
        }
        const type = QTYPES.find((t) => ids[t] === packet.id);
        const q = packet.questions?.[0];
        if (
          !type ||
          responses.has(type) ||
          truncatedTypes.has(type) ||
          !q ||
          q.type !== type ||
          !sameName(q.name, host)
        )
          return;
        if (packet.flag_tc) retryOverTcp(type, packet, msg);
        else accept(type, packet, msg);
      });

      timers.push(
        setTimeout(
          () => {
            for (const type of QTYPES) if (!responses.has(type) && !truncatedTypes.has(type)) send(type);
          },
          Math.max(1, Math.floor(options.timeoutMs / 2)),
        ),
        setTimeout(() => finish(responses.size === 0 ? 'timeout' : undefined), options.timeoutMs),
      );
      for (const type of QTYPES) send(type);
    });

  return abortable(`resolving ${host} with DNS server ${server.label}`, options.signal, run, cleanup);
}

/** One A or AAAA query with EDNS (a UDP payload size that avoids IP fragmentation), recursion desired. */
function encodeQuery(host: string, type: QType, id: number): Buffer {
  const edns = {
    type: 'OPT' as const,
    name: '.',
    udpPayloadSize: EDNS_UDP_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name: host, class: 'IN' }],
    additionals: [edns],
  });
}

/**
 * Asks `query` again over TCP (RFC 7766 framing: a 2-byte length first) and calls `done` exactly once: with the
 * answer when one that `isOurs` arrives, else with undefined (no connection, a close, an undecodable or foreign
 * answer). Returns the socket so the caller can destroy it with the rest of the exchange.
 */
function askOverTcp(
  sockets: Sockets,
  server: DnsServerAddress,
  query: Buffer,
  isOurs: (packet: dnsPacket.DecodedPacket) => boolean,
  done: (answer?: { packet: dnsPacket.DecodedPacket; raw: Buffer }) => void,
): net.Socket {
  const frame = Buffer.alloc(2 + query.length);
  frame.writeUInt16BE(query.length, 0);
  query.copy(frame, 2);
  const tcp = sockets.openTcp(server.address, server.port);
  let buffered = Buffer.alloc(0);
  let settled = false;
  const settle = (answer?: { packet: dnsPacket.DecodedPacket; raw: Buffer }): void => {
    if (settled) return;
    settled = true;
    tcp.destroy();
    done(answer);
  };
  tcp.on('connect', () => tcp.write(frame));
  tcp.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
    const raw = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
    let packet: dnsPacket.DecodedPacket | undefined;
    try {
      packet = dnsPacket.decode(raw);
    } catch (err) {
      log('undecodable TCP answer from %s: %s', server.label, (err as Error).message);
    }
    settle(packet && isOurs(packet) ? { packet, raw } : undefined);
  });
  tcp.on('error', (err) => {
    log('TCP retry to %s failed: %s', server.label, err.message);
    settle();
  });
  tcp.on('close', () => settle());
  return tcp;
}

/**
 * Why an answer cannot be trusted, or undefined when every A/AAAA record in it is well formed: rdata of exactly 4 / 16
 * bytes (read off the wire, since dns-packet decodes 4 / 16 bytes whatever RDLENGTH says — a 2-byte A record became
 * `10.1.undefined.undefined`, a 9-byte AAAA a zero-filled address) and a decoded address `net.isIP` accepts.
 */
function malformedRecord(raw: Buffer, packet: dnsPacket.DecodedPacket): string | undefined {
  const lengths = answerRdataLengths(raw);
  if (!lengths) return 'the answer section cannot be walked';
  const answers = packet.answers ?? [];
  for (let i = 0; i < answers.length; i++) {
    const a = answers[i];
    if (a.type !== 'A' && a.type !== 'AAAA') continue;
    const want = a.type === 'A' ? 4 : 16;
    const got = lengths[i];
    if (got !== want) return `${a.type} record of ${got ?? 'unknown'} bytes, expected ${want}`;
    if (net.isIP(String(a.data)) !== (a.type === 'A' ? 4 : 6)) return `${a.type} record is not an address`;
  }
  return undefined;
}

/** RDLENGTH of each answer record, walked on the raw message; undefined when the message ends early. */
function answerRdataLengths(raw: Buffer): number[] | undefined {
  if (raw.length < 12) return undefined;
  const qd = raw.readUInt16BE(4);
  const an = raw.readUInt16BE(6);
  let offset = 12;
  const skipName = (): boolean => {
    for (let guard = 0; guard < 128; guard++) {
      if (offset >= raw.length) return false;
      const len = raw[offset] as number;
      if ((len & 0xc0) === 0xc0) {
        offset += 2;
        return offset <= raw.length;
      }
      if (len === 0) {
        offset += 1;
        return true;
      }
      offset += len + 1;
    }
    return false;
  };
  for (let i = 0; i < qd; i++) {
    if (!skipName()) return undefined;
    offset += 4;
  }
  const lengths: number[] = [];
  for (let i = 0; i < an; i++) {
    if (!skipName() || offset + 10 > raw.length) return undefined;
    const rdlength = raw.readUInt16BE(offset + 8);
    offset += 10 + rdlength;
    if (offset > raw.length) return undefined;
    lengths.push(rdlength);
  }
  return lengths;
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');
}

function rcodeOf(packet: dnsPacket.DecodedPacket): string {
  const fromDecoder = (packet as { rcode?: unknown }).rcode;
  if (typeof fromDecoder === 'string') return fromDecoder;
  const n = (packet.flags ?? 0) & 0xf;
  return RCODES[n] ?? `RCODE${n}`;
}

/** Follows the CNAMEs from `host` through the answer section; returns the chain and the addresses at its end. */
function readAnswer(
  host: string,
  packet: dnsPacket.DecodedPacket,
): { chain: string[]; records: DnsAddressRecord[]; loop: boolean } {
  const answers = packet.answers ?? [];
  const chain = [host];
  let loop = false;
  for (let hop = 0; hop < MAX_CHAIN; hop++) {
    const current = chain[chain.length - 1] as string;
    const cname = answers.find((a): a is dnsPacket.StringAnswer => a.type === 'CNAME' && sameName(a.name, current));
    if (!cname) break;
    const target = cname.data.toLowerCase().replace(/\.$/, '');
    if (chain.includes(target)) {
      loop = true; // stop rather than spin
      break;
    }
    chain.push(target);
  }
  const records: DnsAddressRecord[] = [];
  for (const a of answers) {
    if ((a.type === 'A' || a.type === 'AAAA') && chain.some((n) => sameName(a.name, n))) {
      records.push({ address: a.data, family: a.type === 'A' ? 4 : 6, ttl: a.ttl ?? 0 });
    }
  }
  return { chain, records, loop };
}

function combine(host: string, responses: Map<QType, dnsPacket.DecodedPacket>, error?: string): DnsServerAnswer {
  if (responses.size === 0) return { chain: [host], records: [], error: error ?? 'timeout' };
  let chain = [host];
  const records: DnsAddressRecord[] = [];
  const rcodes: string[] = [];
  let truncated = false;
  let loop = false;
  for (const type of QTYPES) {
    const packet = responses.get(type);
    if (!packet) continue;
    rcodes.push(rcodeOf(packet));
    truncated ||= packet.flag_tc;
    const read = readAnswer(host, packet);
    loop ||= read.loop;
    if (read.chain.length > chain.length) chain = read.chain;
    records.push(...read.records);
  }
  // NXDOMAIN is about the name, whatever the type: dnsmasq answers the second query of a pair from its cache as NOERROR
  // with the CNAME alone after the first came back NXDOMAIN, and that must not read as "exists, no address".
  const rcode =
    records.length === 0 && rcodes.includes('NXDOMAIN')
      ? 'NXDOMAIN'
      : rcodes.includes('NOERROR')
        ? 'NOERROR'
        : rcodes[0];
  const unanswered = QTYPES.filter((t) => !responses.has(t));
  const out: DnsServerAnswer = { chain, records };
  if (rcode !== undefined) out.rcode = rcode;
  if (unanswered.length) out.unanswered = unanswered;
  // Still truncated after the TCP retry: report it rather than a partial answer when no address came through.
  if (truncated && records.length === 0) out.error = 'truncated';
  // A chain that comes back to itself never ends in an address; NOERROR must not make it look like filtered data.
  else if (loop && records.length === 0) out.error = 'CNAME loop';
  else if (error && records.length === 0) out.error = error;
  return out;
}
