// Trust stores with extra anchors. `ca` ADDS to the roots Node itself trusts (its bundled Mozilla store, or the OpenSSL
// store under --use-openssl-ca, plus NODE_EXTRA_CA_CERTS) and never replaces them: a TLS-inspecting proxy's CA or a
// lab CA is extra, and an Azure root rotation must not break a device that was given one CA.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { maxVersionFor } from './tls-versions';
import type { PemInput, TlsMinVersion } from './types';
import { BoundedMap } from '../support/bounded-map';

/**
 * A device uses one or two (DPS, hub); a long-lived caller cycling through ever new anchors must not grow this forever.
 */
const MAX_CONTEXTS = 16;

/**
 * Contexts built by {@link sharedContext}, most recently used last, keyed by a SHA-256 digest of what each was built
 * from (so no certificate, key or passphrase is ever a map key).
 */
const contexts = new BoundedMap<string, tls.SecureContext>(MAX_CONTEXTS);

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

/**
 * The file's text, read at first use (often the whole system bundle, ~200 KB: not a cost of importing the package).
 * Node read it at startup; a file changed since then is the one case where the two differ.
 */
let startupExtraCaText: string | undefined;
const extraCaText = (): string => (startupExtraCaText ??= readExtraCaFile(STARTUP_EXTRA_CA_FILE));

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
  process.execArgv.includes('--use-openssl-ca') ||
  /(^|\s)--use-openssl-ca(\s|$)/.test(startupEnv('NODE_OPTIONS') ?? '');

/**
 * The NODE_EXTRA_CA_CERTS certificates the copied root store lacks, filtered once. Node adds that file to its default
 * store at startup, but the copy a context gets when an anchor is added holds only the roots proper: without this,
 * passing `ca` would silently drop the extra certificates the device was configured with. Certificates already among
 * the bundled roots are left out: the file is often the whole system bundle (~140 certificates, ~20 ms to parse per
 * context), almost all of them duplicates.
 */
function nodeExtraCaCerts(): string | null {
  if (extraCerts !== undefined) return extraCerts;
  const blocks = pemBlocks(extraCaText());
  const bundled = usesOpenSslStore() ? new Set<string>() : new Set(tls.rootCertificates.map(pemBody));
  const missing = blocks.filter((b) => !bundled.has(pemBody(b)));
  extraCerts = missing.length ? missing.join('\n') : null;
  return extraCerts;
}

/**
 * The certificates of Node's default store whose PEM text contains `line` (a first base64 line): the bundled roots
 * (each PEM with 64-character lines, so the first body line starts right after the BEGIN line) and those
 * NODE_EXTRA_CA_CERTS added. A scan, not an index: the one or two anchors a process asks about cost a few µs each,
 * while indexing all ~140 roots (~290 with a system bundle in NODE_EXTRA_CA_CERTS) cost 3-10 ms of every boot.
 */
function storeCandidates(line: string): string[] {
  if (!line) return [];
  // Under --use-openssl-ca the store is OpenSSL's (its contents unknown here): only what NODE_EXTRA_CA_CERTS added.
  const bundled = usesOpenSslStore() ? [] : tls.rootCertificates.filter((r) => r.includes(line));
  const extra = extraCaText();
  return extra.includes(line) ? [...bundled, ...pemBlocks(extra).filter((b) => firstBodyLine(b) === line)] : bundled;
}

const pemBlocks = (text: string): string[] =>
  text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

/** The first 64 base64 characters after the BEGIN line, whatever the line breaks; '' when there is no PEM block. */
function firstBodyLine(pem: string): string {
  const start = pem.indexOf('-----BEGIN CERTIFICATE-----');
  if (start < 0) return '';
  let out = '';
  for (let i = start + 27; i < pem.length && out.length < 64; i++) {
    const ch = pem.charCodeAt(i);
    if (ch === 45) break; // '-': the END line
    if (ch > 32) out += pem[i];
  }
  return out;
}

/**
 * True when every certificate in `anchor` (PEM, one or more blocks) is already in Node's default store, compared by
 * the whole base64 body. Anything else (DER, a key, text that is not a certificate) is false: it is added as before.
 */
function alreadyTrusted(anchor: PemInput): boolean {
  const text = typeof anchor === 'string' ? anchor : Buffer.from(anchor).toString('latin1');
  // Asked once per new identity's context with the same few anchors: a gateway's 1,000 devices share one answer.
  let known = trustedAnchors.get(text);
  if (known === undefined) {
    known = inDefaultStore(text);
    trustedAnchors.set(text, known);
  }
  return known;
}

/** {@link alreadyTrusted}'s answers by anchor text (the store is fixed at startup, so an answer never changes). */
const trustedAnchors = new BoundedMap<string, boolean>(MAX_CONTEXTS);

function inDefaultStore(text: string): boolean {
  const blocks = pemBlocks(text);
  if (blocks.length === 0 || blocks.join('').replace(/\s/g, '').length !== text.replace(/\s/g, '').length) return false;
  return blocks.every((b) => storeCandidates(firstBodyLine(b)).some((known) => pemBody(known) === pemBody(b)));
}

/** What a secure context with extra anchors is built from. */
export interface AnchoredContextOptions extends Pick<tls.SecureContextOptions, 'cert' | 'key' | 'passphrase'> {
  /** Extra trust anchors (PEM), added to Node's roots. Without, Node's roots alone. */
  ca?: PemInput | readonly PemInput[] | undefined;
  minVersion: TlsMinVersion;
  /** The ceiling. Default {@link maxVersionFor}(minVersion), read when the context is built. */
  maxVersion?: tls.SecureVersion;
}

/**
 * A secure context that trusts Node's roots and `ca`, with `minVersion` as the floor and `maxVersion` as the ceiling
 * (explicit, see {@link maxVersionFor}: tls.DEFAULT_MAX_VERSION / --tls-max-v1.2 can lower it to the floor, never
 * below, so it is never left with no version), and the client credentials.
 *
 * Why not `createSecureContext({ ca: [...tls.rootCertificates, ca] })`: that re-parses ~140 PEM roots one call at a
 * time (~20 ms), and tls.rootCertificates is only the bundled store (not --use-openssl-ca's). Adding the anchor to a
 * default context instead makes Node copy the root store it actually uses, already parsed (~1 ms) — the technique
 * syswide-cas uses. If a Node release drops the native method, the documented (slow) form is used.
 */
export function contextWithAnchors(options: AnchoredContextOptions): tls.SecureContext {
  const given: PemInput[] =
    options.ca === undefined
      ? []
      : Array.isArray(options.ca)
        ? [...(options.ca as readonly PemInput[])]
        : [options.ca as PemInput];
  const base: tls.SecureContextOptions = {
    minVersion: options.minVersion,
    maxVersion: options.maxVersion ?? maxVersionFor(options.minVersion),
  };
  if (options.cert !== undefined) base.cert = options.cert;
  if (options.key !== undefined) base.key = options.key;
  if (options.passphrase !== undefined) base.passphrase = options.passphrase;
  const fast = tls.createSecureContext(base);
  // Adding even one anchor makes Node copy its whole root store into the context (~3 ms on a quiet x86 core, 12 ms
  // loaded; once per identity, so a gateway pays it per device). An anchor the default store already holds (a bundled
  // root such as DigiCert Global Root G2, or one NODE_EXTRA_CA_CERTS loaded) adds nothing: skip the copy.
  if (given.every(alreadyTrusted)) return fast;
  const anchors = [...given];
  const extra = nodeExtraCaCerts();
  if (extra) anchors.unshift(extra);
  const native = (fast as unknown as { context?: NativeContext }).context;
  if (typeof native?.addCACert === 'function') {
    for (const anchor of anchors) native.addCACert(anchor);
    return fast;
  }
  return tls.createSecureContext({ ...base, ca: [...tls.rootCertificates, ...anchors] });
}

/**
 * {@link contextWithAnchors}, built once per distinct input and shared by every socket that uses it. A context is
 * immutable once built and depends on nothing else that can change at runtime (the root store and NODE_EXTRA_CA_CERTS
 * are fixed at startup; the versions are part of the key), so sharing it is safe. Building one per socket cost 0.8 ms,
 * ~4 ms with a system bundle in NODE_EXTRA_CA_CERTS and ~20 ms and ~0.9 MB of RSS under --use-openssl-ca (Node copies
 * and re-reads the whole root store for every context that gets an extra anchor).
 *
 * Contexts with client credentials are cached too, under a digest of the certificate, key and passphrase: a device
 * reconnects with the same identity, and there is no way to give a new context the anchors of a cached one without
 * copying the root store again. Such a context holds the parsed key for as long as it stays among the last
 * {@link MAX_CONTEXTS} used; the caller holds the same key anyway, and a rotated identity gets its own entry.
 */
export function sharedContext(options: AnchoredContextOptions): tls.SecureContext {
  const key = contextKey(options);
  const cached = contexts.get(key);
  if (cached) {
    contexts.set(key, cached); // now the most recently used
    return cached;
  }
  const ctx = contextWithAnchors(options);
  contexts.set(key, ctx);
  return ctx;
}

const ASCII = /^[^\u0080-\uffff]*$/;

/**
 * A digest of every input of a context. Each part is length-prefixed, so no two inputs can collide by concatenation;
 * the parts are joined and hashed in one call (a hash update per part cost a gateway ~0.1 ms a registration).
 */
function contextKey(options: AnchoredContextOptions): string {
  // Every part as its bytes, one character per byte (latin1): a Buffer and a string with the same PEM give one key.
  const parts: string[] = [];
  const part = (value: PemInput | string | undefined): void => {
    if (value === undefined) {
      parts.push('-;');
      return;
    }
    const bytes =
      typeof value !== 'string'
        ? Buffer.from(value).toString('latin1')
        : ASCII.test(value)
          ? value
          : Buffer.from(value, 'utf8').toString('latin1');
    parts.push(`${bytes.length}:${bytes};`);
  };
  // tls allows `key` entries of the form { pem, passphrase }: both are inputs.
  type Item = PemInput | { pem: PemInput; passphrase?: string | undefined };
  const list = (value: Item | readonly Item[] | undefined): void => {
    const items = value === undefined ? [] : Array.isArray(value) ? (value as readonly Item[]) : [value as Item];
    parts.push(`${value === undefined ? '-' : items.length}[`);
    for (const item of items) {
      if (typeof item === 'string' || Buffer.isBuffer(item)) {
        part(item);
      } else {
        part(item.pem);
        part(item.passphrase);
      }
    }
    parts.push(']');
  };
  list(options.ca);
  part(options.minVersion);
  part(options.maxVersion ?? maxVersionFor(options.minVersion));
  list(options.cert);
  list(options.key as Item | readonly Item[] | undefined);
  part(options.passphrase);
  return createHash('sha256').update(parts.join(''), 'latin1').digest('base64');
}

/**
 * The trust store a diagnostic TLS probe uses: Node's roots (as the device's own store would hold them) plus the
 * extra anchor `ca` (--ca), TLS 1.2 as the floor. Built once per anchor and shared by every probe of a run.
 */
export function trustStoreWith(ca: string): tls.SecureContext {
  return sharedContext({ ca, minVersion: 'TLSv1.2' });
}
