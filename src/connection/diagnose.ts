import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import type { Policy } from '../config/types';
import { isInCidrs, type Cidr } from '../endpoint/address';
import type { ProxyAddress, TlsMinVersion } from './types';

/** Raised by the connector itself when the live socket negotiated less than the policy allows. */
export class TlsPolicyError extends Error {
  override name = 'TlsPolicyError';
  readonly code = 'ERR_TLS_POLICY';
  constructor(
    readonly negotiated: string,
    readonly minVersion: TlsMinVersion,
  ) {
    super(`negotiated ${negotiated}, policy minimum is ${minVersion}`);
  }
}

/**
 * Raised by the connector when an HTTP CONNECT proxy did not open the tunnel. `EPROXY`: the proxy answered with a
 * non-2xx status or closed the connection without answering; `EPROXY_UNREACHABLE`: no TCP connection to the proxy, or
 * no answer to CONNECT in time. Either way the device never reached the service, so the finding names the proxy.
 */
export class ProxyTunnelError extends Error {
  override name = 'ProxyTunnelError';
  constructor(
    readonly code: 'EPROXY' | 'EPROXY_UNREACHABLE',
    message: string,
    /** The proxy as `address:port` (`[v6]:port`). */
    readonly proxy: string,
    /** The proxy's status line, when it answered. */
    readonly statusLine?: string,
    options?: { cause?: unknown; proxyAuthenticate?: string },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    if (options?.proxyAuthenticate) this.proxyAuthenticate = options.proxyAuthenticate;
  }
  /** The proxy's Proxy-Authenticate challenge on a 407 (the scheme it wants; never a credential). */
  proxyAuthenticate?: string;
  /** The HTTP status of the proxy's answer, when it answered. */
  get status(): number | undefined {
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(this.statusLine ?? '');
    return m ? Number(m[1]) : undefined;
  }
}

const VERSION_CODES = new Set([
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_TLS_POLICY',
]);
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
]);
const EXPIRED_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/**
 * The code probes give a handshake that timed out after TCP connected (no Node error has it): the peer took the
 * connection and never answered the ClientHello.
 */
export const TLS_STALLED_CODE = 'ERR_TLS_HANDSHAKE_STALLED';
// ECONNREFUSED is not here: a refusal is an answer (TCP_REFUSED), these are silence or a broken path.
const TCP_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EPIPE',
  'ENOTFOUND',
]);

/** Where the failing connection went. */
export interface FailureContext {
  host: string;
  /** The service address dialled; ignored with `proxy`. */
  address?: string;
  port?: number;
  /**
   * The CONNECT proxy the connection went through. The device then only knows the proxy's address, never the
   * service's, so the evidence names the proxy and claims no `address`.
   */
  proxy?: ProxyAddress;
  minVersion: TlsMinVersion;
  /** True once the TLS handshake completed (errors after that are not TLS errors). */
  secured?: boolean;
}

/**
 * Turns a low-level socket/TLS error into a finding. This is the one boundary where Node's error codes
 * (ECONNREFUSED, CERT_*, ERR_SSL_*) become ours; the original error stays as the cause wherever it is thrown.
 */
export function diagnoseConnectionError(error: unknown, ctx: FailureContext): Finding {
  const errors = error instanceof AggregateError ? error.errors : [error];
  const first = errors.find((e) => e && typeof e === 'object') as
    (Error & { code?: string; reason?: string }) | undefined;
  const code = first?.code ?? '';
  const detail = `${code ? `${code}: ` : ''}${first?.message ?? String(error)}`;
  const target = ctx.proxy
    ? { host: ctx.host, port: ctx.port, proxy: proxyLabel(ctx.proxy) }
    : { host: ctx.host, address: ctx.address, port: ctx.port };
  const addresses = !ctx.proxy && ctx.address ? [ctx.address] : undefined;
  if (first instanceof ProxyTunnelError) {
    const evidence = { host: ctx.host, port: ctx.port, proxy: first.proxy, detail: first.message };
    if (first.code === 'EPROXY_UNREACHABLE') return createFinding('PROXY_UNREACHABLE', evidence);
    return createFinding('PROXY_REFUSED', {
      ...evidence,
      ...(first.statusLine ? { statusLine: first.statusLine } : {}),
      ...(first.status !== undefined ? { status: first.status } : {}),
      ...(first.proxyAuthenticate ? { proxyAuthenticate: first.proxyAuthenticate } : {}),
    });
  }
  if (code === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE') {
    // Raised by our own OpenSSL before anything is sent: the server never saw a ClientHello, so it is not to blame.
    return createFinding('TLS_LOCAL_PROTOCOLS_DISABLED', { ...target, minVersion: ctx.minVersion, detail });
  }
  if (
    VERSION_CODES.has(code) ||
    /protocol version|unsupported protocol|wrong version number/i.test(first?.message ?? '')
  ) {
    const offered = error instanceof TlsPolicyError ? error.negotiated : undefined;
    return createFinding('TLS_VERSION_TOO_LOW', { ...target, minVersion: ctx.minVersion, offered, detail });
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // Say what the certificate does cover: it answers "do privatelink names work?" with evidence, not guesswork.
    const sans = (first as { cert?: { subjectaltname?: string } } | undefined)?.cert?.subjectaltname;
    return createFinding('TLS_HOSTNAME_MISMATCH', {
      ...target,
      detail: first?.reason ?? detail,
      ...(sans ? { certificateNames: sans } : {}),
    });
  }
  if (UNTRUSTED_CODES.has(code)) return createFinding('TLS_UNTRUSTED_CHAIN', { ...target, detail });
  if (EXPIRED_CODES.has(code))
    return createFinding('TLS_SERVER_CERT_EXPIRED', { ...target, detail, now: new Date().toISOString() });
  // Our own code, not Node's: the message alone is the detail.
  if (code === TLS_STALLED_CODE)
    return createFinding('TLS_HANDSHAKE_STALLED', { ...target, detail: first?.message ?? String(error) });
  if (code === 'ECONNREFUSED' && !ctx.secured) {
    return createFinding('TCP_REFUSED', { ...target, detail, addresses });
  }
  if (TCP_CODES.has(code) && !ctx.secured) {
    return createFinding('TCP_UNREACHABLE', { ...target, detail, addresses });
  }
  if (
    /^ERR_SSL_|^ERR_TLS_/.test(code) ||
    (!ctx.secured && /socket disconnected before secure|TLS/i.test(first?.message ?? ''))
  ) {
    return createFinding('TLS_HANDSHAKE_FAILED', { ...target, detail });
  }
  return createFinding('TCP_UNREACHABLE', { ...target, detail });
}

/** A proxy as evidence: `address:port`, `[v6]:port`. */
export function proxyLabel(proxy: ProxyAddress): string {
  return `${proxy.address.includes(':') ? `[${proxy.address}]` : proxy.address}:${proxy.port}`;
}

/**
 * PROXY_IN_PATH: a CONNECT proxy resolves the service name itself, so the device cannot pin; under `enforce` that is
 * an error unless the proxy itself sits inside the expected ranges, otherwise a warning. The one place it is made,
 * for DPS and the hub alike.
 */
export function proxyInPathFinding(host: string, proxy: ProxyAddress, cidrs: readonly Cidr[], policy: Policy): Finding {
  const proxyInRange = isInCidrs(proxy.address, cidrs);
  const severity = policy === 'enforce' && !proxyInRange ? 'error' : 'warning';
  return createFinding('PROXY_IN_PATH', { host, proxy: proxyLabel(proxy), proxyInRange }, { severity });
}
