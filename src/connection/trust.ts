// Trust stores with extra anchors. `ca` ADDS to the roots Node itself trusts (its bundled Mozilla store, or the OpenSSL
// store under --use-openssl-ca, plus NODE_EXTRA_CA_CERTS) and never replaces them: a TLS-inspecting proxy's CA or a
// lab CA is extra, and an Azure root rotation must not break a device that was given one CA.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { PemInput, TlsMinVersion } from './types';

const contexts = new Map<string, tls.SecureContext>();
const MAX_CONTEXTS = 16;

interface NativeContext {
  addCACert?: (pem: PemInput) => void;
}

/**
 * NODE_EXTRA_CA_CERTS as Node itself read it: once, at process startup (setting it later, e.g. from a .env file, has no
 * effect on Node's store, so it must have none on ours either). On Linux /proc/self/environ holds the environment the
 * process was started with, whatever ran since; elsewhere the value when this module was loaded stands in for it, which
 * is wrong only if something set the variable between startup and loading this module. On Node >= 22.15,
 * tls.getCACertificates('extra') would give the certificates Node actually loaded; this package supports Node 20.
 */
const STARTUP_EXTRA_CA_FILE = startupEnv('NODE_EXTRA_CA_CERTS');

/** The file's text, read with the variable: what Node loaded at startup, not what the file holds later. */
const STARTUP_EXTRA_CA_TEXT = readExtraCaFile(STARTUP_EXTRA_CA_FILE);

let extraCerts: string | null | undefined;

/** The value of `name` in the environment this process was started with (see {@link STARTUP_EXTRA_CA_FILE}). */
function startupEnv(name: string): string | undefined {
  let block: string;
  try {
    block = readFileSync('/proc/self/environ', 'utf8');
  } catch {
    return process.env[name] || undefined;
  }
  const entry = block.split('\0').find((e) => e.startsWith(`${name}=`));
  return entry ? entry.slice(name.length + 1) || undefined : undefined;
}

/** Unreadable or unset: ''. Node already warned at startup about an unreadable file. */
function readExtraCaFile(file: string | undefined): string {
  try {
    return file ? readFileSync(file, 'latin1') : '';
  } catch {
    return '';
  }
}

/** The base64 body of one PEM certificate, for comparing certificates whatever their line breaks. */
const pemBody = (pem: string): string => pem.replace(/-----[^-]+-----|\s/g, '');

/** True when this process's default store is OpenSSL's (--use-openssl-ca) rather than Node's bundled roots. */
const usesOpenSslStore = (): boolean =>
  process.execArgv.includes('--use-openssl-ca') || /(^|\s)--use-openssl-ca(\s|$)/.test(startupEnv('NODE_OPTIONS') ?? '');

/**
 * The NODE_EXTRA_CA_CERTS certificates the copied root store lacks, filtered once. Node adds that file to its default
 * store at startup, but the copy a context gets when an anchor is added holds only the roots proper: without this,
 * passing `ca` would silently drop the extra certificates the device was configured with. Certificates already among
 * the bundled roots are left out: the file is often the whole system bundle (~140 certificates, ~20 ms to parse per
 * context), almost all of them duplicates.
 */
function nodeExtraCaCerts(): string | null {
  if (extraCerts !== undefined) return extraCerts;
  const blocks = STARTUP_EXTRA_CA_TEXT.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const bundled = usesOpenSslStore() ? new Set<string>() : new Set(tls.rootCertificates.map(pemBody));
  const missing = blocks.filter((b) => !bundled.has(pemBody(b)));
  extraCerts = missing.length ? missing.join('\n') : null;
  return extraCerts;
}

/** What a secure context with extra anchors is built from. */
export interface AnchoredContextOptions extends Pick<tls.SecureContextOptions, 'cert' | 'key' | 'passphrase'> {
  /** Extra trust anchors (PEM), added to Node's roots. */
  ca: PemInput | readonly PemInput[];
  minVersion: TlsMinVersion;
}

/**
 * A secure context that trusts Node's roots and `ca`, with `minVersion` as the floor and TLS 1.3 as the ceiling
 * (explicit, so tls.DEFAULT_MAX_VERSION / --tls-max-v1.2 cannot leave it with no version), and the client credentials.
 *
 * Why not `createSecureContext({ ca: [...tls.rootCertificates, ca] })`: that re-parses ~140 PEM roots one call at a
 * time (~20 ms), and tls.rootCertificates is only the bundled store (not --use-openssl-ca's). Adding the anchor to a
 * default context instead makes Node copy the root store it actually uses, already parsed (~1 ms) — the technique
 * syswide-cas uses. If a Node release drops the native method, the documented (slow) form is used.
 */
export function contextWithAnchors(options: AnchoredContextOptions): tls.SecureContext {
  const anchors: PemInput[] = Array.isArray(options.ca) ? [...(options.ca as readonly PemInput[])] : [options.ca as PemInput];
  const extra = nodeExtraCaCerts();
  if (extra) anchors.unshift(extra);
  const base: tls.SecureContextOptions = { minVersion: options.minVersion, maxVersion: 'TLSv1.3' };
  if (options.cert !== undefined) base.cert = options.cert;
  if (options.key !== undefined) base.key = options.key;
  if (options.passphrase !== undefined) base.passphrase = options.passphrase;
  const fast = tls.createSecureContext(base);
  const native = (fast as unknown as { context?: NativeContext }).context;
  if (typeof native?.addCACert === 'function') {
    for (const anchor of anchors) native.addCACert(anchor);
    return fast;
  }
  return tls.createSecureContext({ ...base, ca: [...tls.rootCertificates, ...anchors] });
}

/**
 * The trust store a diagnostic TLS probe uses: Node's roots (as the device's own store would hold them) plus the
 * extra anchor `ca` (--ca), TLS 1.2 as the floor. Built once per anchor and shared by every probe of a run.
 */
export function trustStoreWith(ca: string): tls.SecureContext {
  let ctx = contexts.get(ca);
  if (ctx) return ctx;
  ctx = contextWithAnchors({ ca, minVersion: 'TLSv1.2' });
  // A CLI run uses one or two anchors; a long-lived caller probing with ever new ones must not grow this forever.
  if (contexts.size >= MAX_CONTEXTS) contexts.clear();
  contexts.set(ca, ctx);
  return ctx;
}
