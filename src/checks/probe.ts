// The one place in dps-check that opens sockets (TCP, TLS, SNTP over UDP). Every probe connects to an address the
// caller already verified (never a name: nothing here resolves), and is cut at a timeout.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';

/** Result of a TCP connect. */
export interface TcpProbeResult {
  address: string;
  port: number;
  ok: boolean;
  /** Connect time, ms. */
  durationMs: number;
  /** ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH... */
  error?: string;
}

/** Opens a TCP connection to address:port and closes it. Never rejects. */
export function tcpProbe(address: string, port: number, timeoutMs: number): Promise<TcpProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, noDelay: true });
    const done = (error?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      const r: TcpProbeResult = { address, port, ok: !error, durationMs: Math.round(performance.now() - started) };
      if (error) r.error = error;
      resolve(r);
    };
    const timer = setTimeout(() => done('ETIMEDOUT'), timeoutMs);
    socket.once('connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** One certificate the server sent, as plain data. */
export interface PeerCert {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  subjectAltName?: string;
}

/** What a TLS handshake showed. */
export interface TlsProbeResult {
  address: string;
  port: number;
  servername: string;
  ok: boolean;
  durationMs: number;
  protocol?: string | null;
  cipher?: string;
  /** Chain validates against the trust store (plus --ca). */
  authorized?: boolean;
  authorizationError?: string;
  /** The certificate covers servername (RFC 6125 check on the SANs). */
  hostnameMatch?: boolean;
  hostnameError?: string;
  /** Leaf first, as sent (plus the trust anchor Node resolved, if any). */
  chain?: PeerCert[];
  /** Common name of the top of the chain (the root, or the issuer of the last certificate sent). */
  root?: string;
  /** Handshake error (no TLS at all), e.g. a protocol version refusal. */
  error?: string;
  errorCode?: string;
  /** Date header from an HTTP request made over this connection (httpDate option), and when it was received. */
  httpDate?: { date: string; receivedAt: string };
}

/** Options of {@link tlsProbe}. */
export interface TlsProbeOptions {
  /** Extra trust anchors (PEM). Node's roots are kept, as the device's would be. */
  ca?: string;
  timeoutMs: number;
  /** After the handshake, send `GET path` and record the HTTP Date header (an honest server clock). */
  httpPath?: string;
}

function cnOf(name: unknown): string {
  const n = name as Record<string, string | string[]> | undefined;
  const cn = n?.['CN'];
  return Array.isArray(cn) ? cn.join(', ') : (cn ?? '');
}

function nameOf(name: unknown): string {
  const n = name as Record<string, string | string[]> | undefined;
  return n ? Object.entries(n).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ') : '';
}

/** Walks the peer certificate chain the handshake produced. */
function chainOf(peer: tls.DetailedPeerCertificate): { chain: PeerCert[]; root: string } {
  const chain: PeerCert[] = [];
  const seen = new Set<string>();
  let cur: tls.DetailedPeerCertificate | undefined = peer;
  let top = peer;
  while (cur && cur.fingerprint256 && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    const c: PeerCert = {
      subject: nameOf(cur.subject),
      issuer: nameOf(cur.issuer),
      notBefore: new Date(cur.valid_from).toISOString(),
      notAfter: new Date(cur.valid_to).toISOString(),
      fingerprint256: cur.fingerprint256,
    };
    if (cur.subjectaltname) c.subjectAltName = cur.subjectaltname;
    chain.push(c);
    top = cur;
    cur = cur.issuerCertificate;
  }
  // A self-issued top is the root; otherwise the server did not send it and its issuer names the root.
  const root = nameOf(top.subject) === nameOf(top.issuer) ? cnOf(top.subject) : cnOf(top.issuer);
  return { chain, root };
}

function readHttpDate(socket: tls.TLSSocket, host: string, path: string, timeoutMs: number): Promise<{ date: string; receivedAt: string } | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const finish = (v?: { date: string; receivedAt: string }): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve(v);
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0 && buf.length < 16_384) return;
      const m = /^date:\s*(.+)$/im.exec(buf.slice(0, end < 0 ? buf.length : end));
      finish(m?.[1] ? { date: m[1].trim(), receivedAt: new Date().toISOString() } : undefined);
    });
    socket.once('end', () => finish());
    socket.once('error', () => finish());
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: dps-check\r\nConnection: close\r\n\r\n`);
  });
}

// Building a context with Node's ~140 roots plus --ca costs ~15 ms; every probe of a run shares one per CA.
const contexts = new Map<string, tls.SecureContext>();
function contextFor(ca: string): tls.SecureContext {
  let ctx = contexts.get(ca);
  if (!ctx) {
    ctx = tls.createSecureContext({ ca: [...tls.rootCertificates, ca], minVersion: 'TLSv1.2' });
    contexts.set(ca, ctx);
  }
  return ctx;
}

/**
 * TLS handshake with address:port using `servername` for SNI and the hostname check, TLS 1.2 minimum (as the
 * device must). Does not reject unauthorized chains: it reports them. Never rejects.
 */
export function tlsProbe(address: string, port: number, servername: string, options: TlsProbeOptions): Promise<TlsProbeResult> {
  const started = performance.now();
  const base = { address, port, servername };
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: address,
      port,
      servername,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: false,
      ...(options.ca ? { secureContext: contextFor(options.ca) } : {}),
    });
    socket.setNoDelay(true);
    let settled = false;
    const done = (r: TlsProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => done({ ...base, ok: false, durationMs: Math.round(performance.now() - started), error: `no TLS handshake within ${options.timeoutMs} ms`, errorCode: 'ETIMEDOUT' }),
      options.timeoutMs,
    );
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done({ ...base, ok: false, durationMs: Math.round(performance.now() - started), error: err.message, errorCode: err.code ?? 'ERR_TLS' }),
    );
    socket.once('secureConnect', () => {
      const durationMs = Math.round(performance.now() - started);
      const peer = socket.getPeerCertificate(true);
      const { chain, root } = chainOf(peer);
      const identityError = tls.checkServerIdentity(servername, peer);
      const r: TlsProbeResult = {
        ...base,
        ok: true,
        durationMs,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        authorized: socket.authorized,
        hostnameMatch: identityError === undefined,
        chain,
        root,
      };
      if (socket.authorizationError) r.authorizationError = String(socket.authorizationError);
      if (identityError) r.hostnameError = identityError.message;
      if (!options.httpPath) return done(r);
      void readHttpDate(socket, servername, options.httpPath, options.timeoutMs).then((d) => {
        if (d) r.httpDate = d;
        done(r);
      });
    });
  });
}

/** An SNTP answer. */
export interface SntpResult {
  server: string;
  /** Server time at the middle of the exchange, ISO 8601. */
  serverTime: string;
  /** Local clock minus server clock, in ms (RFC 4330 offset, sign flipped: positive = device ahead). */
  skewMs: number;
  roundTripMs: number;
}

const NTP_EPOCH_OFFSET = 2_208_988_800; // seconds from 1900-01-01 to 1970-01-01

function ntpToMs(buf: Buffer, at: number): number {
  return (buf.readUInt32BE(at) - NTP_EPOCH_OFFSET) * 1000 + (buf.readUInt32BE(at + 4) / 2 ** 32) * 1000;
}

/** One SNTP (RFC 4330) query to an IP address; rejects on timeout or a malformed answer. */
export function sntpQuery(address: string, port: number, timeoutMs: number, now: () => number = Date.now): Promise<SntpResult> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const req = Buffer.alloc(48);
    req[0] = (0 << 6) | (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
    const t1 = now();
    const finish = (err: Error | null, r?: SntpResult): void => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(r as SntpResult);
    };
    const timer = setTimeout(() => finish(Object.assign(new Error(`no SNTP answer from ${address}:${port} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once('error', (err) => finish(err));
    socket.on('message', (msg) => {
      const t4 = now();
      if (msg.length < 48 || ((msg[0] as number) & 7) !== 4 || msg[1] === 0) {
        return finish(new Error(`malformed or kiss-of-death SNTP answer from ${address}:${port}`));
      }
      const t2 = ntpToMs(msg, 32);
      const t3 = ntpToMs(msg, 40);
      const offset = (t2 - t1 + (t3 - t4)) / 2; // server minus local
      finish(null, { server: `${address}:${port}`, serverTime: new Date(t4 + offset).toISOString(), skewMs: Math.round(-offset), roundTripMs: Math.round(t4 - t1 - (t3 - t2)) });
    });
    socket.send(req, port, address, (err) => {
      if (err) finish(err);
    });
  });
}
