import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { logger } from '../log';
import { LabListenError } from './errors';

const log = logger('lab:dns');

/** What one name answers. A name with `cname` answers only the CNAME (and the chain behind it, like a recursor). */
export interface DnsRecord {
  /** Target name of a CNAME (lower case, no trailing dot); the server follows it at most 8 links deep. */
  cname?: string;
  /** IPv4 addresses of A records (ignored when `cname` is set). */
  a?: string[];
  /** IPv6 addresses of AAAA records (ignored when `cname` is set). */
  aaaa?: string[];
  /** TTL in seconds for every record of this name. Default 60. */
  ttl?: number;
  /** Answer this name with NXDOMAIN, SERVFAIL, or never answer at all. */
  behaviour?: 'nxdomain' | 'servfail' | 'drop';
  /**
   * A DNS-rebinding filter sits in front (dnsmasq stop-dns-rebind): a reply that would carry this name's addresses
   * carries no answer at all, not even the CNAMEs that led here (NOERROR, empty). Queries of other types pass.
   */
  rebindFiltered?: boolean;
}

/** A lab DNS zone: lower-case names without a trailing dot, each mapped to what it answers. */
export type DnsZone = Record<string, DnsRecord>;

export interface DnsServerOptions {
  /** Loopback address to bind (IPv4 or IPv6). Default 127.0.0.1. */
  address?: string;
  /** UDP port. Default 0 (any free port). */
  port?: number;
  /** Names (lower case, no trailing dot) and what they answer. Unknown names answer NXDOMAIN. */
  zone?: DnsZone;
  /** What every query gets, regardless of zone: e.g. `drop` for a resolver that never answers. */
  behaviour?: DnsRecord['behaviour'];
}

/** A running loopback DNS server. */
export interface DnsServer {
  /** `ip:port` (IPv6 as `[ip]:port`), the form `dnsServers` takes. */
  readonly endpoint: string;
  /** The loopback address it is bound to. */
  readonly address: string;
  /** The UDP port it is bound to (the real one when 0 was asked for). */
  readonly port: number;
  /** Queries received, by lower-case name. */
  readonly queries: Map<string, number>;
  /** Total queries received. */
  queryCount(): number;
  /** Replace the whole zone (e.g. to answer differently on the next query: DNS rebinding). */
  setZone(zone: DnsZone): void;
  /** Change or add one name. */
  setRecord(name: string, record: DnsRecord | undefined): void;
  /** Make every query answer NXDOMAIN, SERVFAIL or nothing, regardless of the zone; undefined goes back to the zone. */
  setBehaviour(behaviour: DnsRecord['behaviour'] | undefined): void;
  /** Stop listening and release the socket. */
  close(): Promise<void>;
}

const MAX_CHAIN = 8;
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

/**
 * A small authoritative-and-recursive-looking DNS server on loopback, built on dns-packet. It answers A, AAAA and
 * CNAME queries from an in-memory zone, following CNAME chains the way a recursive resolver would, so the client
 * sees the same answer section it would get from Azure DNS.
 */
export async function startDnsServer(options: DnsServerOptions = {}): Promise<DnsServer> {
  const address = options.address ?? '127.0.0.1';
  if (!net.isIP(address))
    throw new TypeError(`DNS server address must be an IP literal, got ${JSON.stringify(address)}`);
  let zone = normaliseZone(options.zone ?? {});
  let globalBehaviour = options.behaviour;
  const queries = new Map<string, number>();
  // A large receive buffer: hundreds of clients resolving at once (benchmarks, gateways) must not overflow the
  // default ~200 KB buffer and lose queries the way an overloaded resolver would.
  const socket = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });

  socket.on('message', (msg, rinfo) => {
    const query = decodeQuery(msg, rinfo.address);
    const question = query?.questions?.[0];
    if (!query || !question) return;
    const name = normaliseName(question.name);
    queries.set(name, (queries.get(name) ?? 0) + 1);
    const response = answer(zone, globalBehaviour, query, question);
    if (!response) return; // 'drop': the resolver never answers
    socket.send(dnsPacket.encode(response), rinfo.port, rinfo.address);
  });
  await bind(socket, address, options.port ?? 0);
  socket.on('error', (err) => log('socket error: %s', err.message));
  const port = socket.address().port;

  return {
    endpoint: net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`,
    address,
    port,
    queries,
    queryCount: () => [...queries.values()].reduce((a, b) => a + b, 0),
    setZone: (z) => {
      zone = normaliseZone(z);
    },
    setRecord: (name, record) => {
      const key = normaliseName(name);
      const next = { ...zone };
      if (record) next[key] = record;
      else delete next[key];
      zone = next;
    },
    setBehaviour: (b) => {
      globalBehaviour = b;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Bind the socket, turning a bind error into a LabListenError naming the option to change. */
function bind(socket: dgram.Socket, address: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      socket.close();
      // An address this host lacks (e.g. ::1 with IPv6 off) is the address's fault; anything else, the port's.
      const option = err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT' ? 'dnsAddress' : 'dnsPort';
      reject(new LabListenError(option, address, port, err));
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

function decodeQuery(msg: Buffer, from: string): dnsPacket.Packet | undefined {
  try {
    return dnsPacket.decode(msg);
  } catch (err) {
    log('dropping undecodable packet from %s: %s', from, (err as Error).message);
    return undefined;
  }
}

/** Lower case, no trailing dot: how zone names are keyed. */
function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function normaliseZone(zone: DnsZone): DnsZone {
  const out: DnsZone = {};
  for (const [name, record] of Object.entries(zone)) out[normaliseName(name)] = record;
  return out;
}

function answer(
  zone: DnsZone,
  globalBehaviour: DnsRecord['behaviour'],
  query: dnsPacket.Packet,
  question: dnsPacket.Question,
): dnsPacket.Packet | undefined {
  // dns-packet encodes the rcode only through the low four bits of `flags`.
  const reply = (rcode: number, answers: dnsPacket.Answer[] = []): dnsPacket.Packet => ({
    id: query.id,
    type: 'response',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
    questions: [question],
    answers,
  });
  if (globalBehaviour === 'drop') return undefined;
  if (globalBehaviour === 'servfail') return reply(RCODE.SERVFAIL);

  const answers: dnsPacket.Answer[] = [];
  let name = normaliseName(question.name);
  for (let hop = 0; hop < MAX_CHAIN; hop++) {
    const record = zone[name];
    if (!record || record.behaviour === 'nxdomain' || globalBehaviour === 'nxdomain') {
      return reply(RCODE.NXDOMAIN, answers);
    }
    if (record.behaviour === 'drop') return undefined;
    if (record.behaviour === 'servfail') return reply(RCODE.SERVFAIL);
    const ttl = record.ttl ?? 60;
    if (record.cname) {
      answers.push({ type: 'CNAME', name, ttl, class: 'IN', data: record.cname });
      if (question.type === 'CNAME') break;
      name = normaliseName(record.cname);
      continue;
    }
    const addresses = question.type === 'A' ? record.a : question.type === 'AAAA' ? record.aaaa : undefined;
    if (record.rebindFiltered && addresses?.length) return reply(RCODE.NOERROR);
    if (question.type === 'A')
      for (const a of record.a ?? []) answers.push({ type: 'A', name, ttl, class: 'IN', data: a });
    if (question.type === 'AAAA')
      for (const a of record.aaaa ?? []) answers.push({ type: 'AAAA', name, ttl, class: 'IN', data: a });
    break;
  }
  return reply(RCODE.NOERROR, answers);
}
