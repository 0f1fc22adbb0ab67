// Reads the certificate chain a TLS peer sent (Node's DetailedPeerCertificate) into plain data, and names the root it
// ends at. Used by the live-socket inspection (connector) and by dps-check's TLS probe.
import type tls from 'node:tls';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import type { TlsInfo } from './types';
import { BoundedMap } from '../support/bounded-map';

/** Roots Azure DPS and IoT Hub chain to today (design.md §2). */
export const CURRENT_AZURE_ROOTS: readonly string[] = ['DigiCert Global Root G2', 'Microsoft RSA Root CA 2017'];
/** Retired for Azure IoT in Sept 2024; a device that trusts only this root fails once the service certificate rolls. */
export const LEGACY_ROOT = 'Baltimore CyberTrust Root';

/** One certificate the server sent, as plain data. */
export interface PeerCert {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  subjectAltName?: string;
}

function cnOf(name: unknown): string {
  const n = name as Record<string, string | string[]> | undefined;
  const cn = n?.['CN'];
  return Array.isArray(cn) ? cn.join(', ') : (cn ?? '');
}

function nameOf(name: unknown): string {
  const n = name as Record<string, string | string[]> | undefined;
  return n
    ? Object.entries(n)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
        .join(', ')
    : '';
}

/**
 * Walks the peer chain, leaf first (plus the trust anchor Node resolved, if any). `root` is the common name of the
 * top: the self-issued certificate if the chain reaches one, else the issuer of the last certificate sent.
 */
export function peerChain(peer: tls.DetailedPeerCertificate | undefined): { chain: PeerCert[]; root: string } {
  const chain = chainOf(peer).map((cur) => {
    const c: PeerCert = {
      subject: nameOf(cur.subject),
      issuer: nameOf(cur.issuer),
      notBefore: new Date(cur.valid_from).toISOString(),
      notAfter: new Date(cur.valid_to).toISOString(),
      fingerprint256: cur.fingerprint256,
    };
    if (cur.subjectaltname) c.subjectAltName = cur.subjectaltname;
    return c;
  });
  return { chain, root: peerRoot(peer) };
}

/**
 * The common name of the root the peer chain ends at (see {@link peerChain}), '' when there is no chain: all that
 * every live socket needs (TLS_LEGACY_ROOT), without turning each certificate into text.
 */
export function peerRoot(peer: tls.DetailedPeerCertificate | undefined): string {
  const top = chainOf(peer).at(-1);
  if (!top) return '';
  // A self-issued top is the root; otherwise the server did not send it and its issuer names the root.
  return nameOf(top.subject) === nameOf(top.issuer) ? cnOf(top.subject) : cnOf(top.issuer);
}

/** How long {@link rootOfLeaf} keeps the root it read for a leaf: a server rarely changes the chain behind one. */
const ROOT_MEMO_MS = 10 * 60_000;
const rootsByLeaf = new BoundedMap<string, { root: string; until: number }>(64);

/**
 * {@link peerRoot} of a socket whose leaf is `leaf` (as `getPeerCertificate(false)` gives it). The detailed chain is
 * the only way to the root, and building it costs ~0.9 ms of CPU a socket on the bench machine (Node looks the top's
 * issuer up in the whole trust store): it is read once per leaf certificate and ten minutes, so a gateway's thousand
 * registrations to one DPS read it once. A server that changed the chain behind the same certificate (a cross-signed
 * intermediate) is seen at the next read.
 */
export function rootOfLeaf(leaf: tls.PeerCertificate, readChain: () => tls.DetailedPeerCertificate): string {
  const key = leaf.fingerprint256;
  const now = Date.now();
  const known = key ? rootsByLeaf.get(key) : undefined;
  if (known && known.until > now) return known.root;
  const root = peerRoot(readChain());
  if (!key) return root;
  rootsByLeaf.set(key, { root, until: now + ROOT_MEMO_MS });
  return root;
}

/** The certificates of a peer chain, leaf first, each once (Node links a self-signed root to itself). */
function chainOf(peer: tls.DetailedPeerCertificate | undefined): tls.DetailedPeerCertificate[] {
  const out: tls.DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  for (let cur = peer; cur && cur.fingerprint256 && !seen.has(cur.fingerprint256); cur = cur.issuerCertificate) {
    seen.add(cur.fingerprint256);
    out.push(cur);
  }
  return out;
}

/**
 * TLS_LEGACY_ROOT (a warning) when the live socket's chain ended at the retired Baltimore root, else undefined.
 * The connection still succeeded; the device's trust store is what needs attention.
 */
export function legacyRootFinding(
  host: string,
  info: Pick<TlsInfo, 'root' | 'remoteAddress' | 'remotePort'>,
): Finding | undefined {
  if (info.root !== LEGACY_ROOT) return undefined;
  return createFinding('TLS_LEGACY_ROOT', {
    host,
    address: info.remoteAddress,
    port: info.remotePort,
    root: info.root,
  });
}
