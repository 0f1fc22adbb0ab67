import crypto, { type KeyObject, type X509Certificate } from 'node:crypto';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { BoundedMap } from '../support/bounded-map';

/**
 * The one X.509 credential reader of the package: certificate chains (PEM, leaf first, or one DER certificate) and
 * private keys (PEM or DER; PKCS#8, PKCS#1, SEC1; encrypted or not). provisionDevice, the hub client and dps-check all
 * read through here; each turns a {@link CredentialError} into its own wording (option names for the API, files and
 * flags for dps-check). Nothing here ever puts a key, a passphrase or file contents into a message.
 */

/** PEM text or DER/PEM bytes. */
export type CredentialInput = string | Buffer;

/** What was wrong with a credential, for the caller's own message. */
export type CredentialProblem =
  /** A string with no PEM block at all. */
  | 'cert-no-pem'
  /** Bytes that are neither PEM nor a DER certificate. */
  | 'cert-not-der'
  /** PEM text with no complete CERTIFICATE block. */
  | 'cert-no-certificate-block'
  /** One CERTIFICATE block that is not a readable certificate (`index` of `count`). */
  | 'cert-unreadable'
  | 'key-no-pem'
  | 'key-missing-passphrase'
  | 'key-bad-passphrase'
  | 'key-unreadable';

/** A credential that could not be read. `message` is safe to show: it never holds key material. */
export class CredentialError extends Error {
  override name = 'CredentialError';
  constructor(
    readonly problem: CredentialProblem,
    message: string,
    readonly details: { index?: number; count?: number; length?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A parsed certificate chain. */
export interface CertificateChain {
  format: 'pem' | 'der';
  /** Leaf first. */
  chain: X509Certificate[];
  /** The whole chain as PEM text (DER converted), as the SDKs take it. */
  pem: string;
}

/** A parsed private key. */
export interface PrivateKey {
  format: 'pem' | 'der';
  /** The key was encrypted (the passphrase decrypted it). */
  encrypted: boolean;
  key: KeyObject;
  /** PEM the SDKs accept: the input itself when it was PEM, else the key exported as unencrypted PKCS#8. */
  pem: CredentialInput;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const text = (v: CredentialInput): string => (typeof v === 'string' ? v : v.toString('latin1'));
/** True when `v` holds a PEM block (of any kind), as text or bytes. */
export const isPem = (v: CredentialInput): boolean => text(v).includes('-----BEGIN');

/** Reads a certificate chain. Throws {@link CredentialError}. */
export function readCertificateChain(input: CredentialInput): CertificateChain {
  if (!isPem(input)) {
    if (typeof input === 'string') {
      throw new CredentialError('cert-no-pem', 'no PEM certificate', { length: input.length });
    }
    try {
      // DER bytes: the SDKs only take PEM text, so convert once here.
      const leaf = new crypto.X509Certificate(input);
      return { format: 'der', chain: [leaf], pem: leaf.toString() };
    } catch (cause) {
      throw new CredentialError('cert-not-der', (cause as Error).message, { length: input.length }, { cause });
    }
  }
  const blocks = text(input).match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    throw new CredentialError('cert-no-certificate-block', 'PEM block is not a CERTIFICATE');
  }
  const chain = blocks.map((block, i) => {
    try {
      return new crypto.X509Certificate(block);
    } catch (cause) {
      const details = { index: i + 1, count: blocks.length };
      throw new CredentialError('cert-unreadable', (cause as Error).message, details, { cause });
    }
  });
  return { format: 'pem', chain, pem: blocks.join('\n') + '\n' };
}

/** True when `data` holds an encrypted key: the PEM header says so, or DER PKCS#8 asks for a passphrase. */
function isEncrypted(data: CredentialInput, format: 'pem' | 'der'): boolean {
  if (format === 'pem') return /ENCRYPTED/.test(text(data));
  try {
    crypto.createPrivateKey({ key: data as Buffer, format: 'der', type: 'pkcs8' });
    return false;
  } catch (err) {
    return /passphrase|encrypted|bad decrypt/i.test(String((err as Error).message));
  }
}

/**
 * Reads a private key, decrypting it with `passphrase` when it is encrypted. Throws {@link CredentialError}; Node
 * reports a missing passphrase as ERR_MISSING_PASSPHRASE or (OpenSSL 3) "interrupted or cancelled", a wrong one as
 * "bad decrypt": both are told apart from an unreadable key.
 */
export function readPrivateKey(input: CredentialInput, passphrase?: string): PrivateKey {
  const format: 'pem' | 'der' = isPem(input) ? 'pem' : 'der';
  if (format === 'der' && typeof input === 'string') throw new CredentialError('key-no-pem', 'no PEM private key');
  const encrypted = isEncrypted(input, format);
  const withPassphrase = passphrase !== undefined ? { passphrase } : {};
  const attempts: crypto.PrivateKeyInput[] =
    format === 'pem'
      ? [{ key: input, format: 'pem', ...withPassphrase }]
      : (['pkcs8', 'pkcs1', 'sec1'] as const).map((type) => ({
          key: input as Buffer,
          format: 'der' as const,
          type,
          ...withPassphrase,
        }));
  let last: unknown;
  for (const attempt of attempts) {
    try {
      const key = crypto.createPrivateKey(attempt);
      // DER: the SDKs take PEM only; exported unencrypted, like the KeyObject it is already held as in memory.
      const pem = format === 'pem' ? input : (key.export({ format: 'pem', type: 'pkcs8' }) as string);
      return { format, encrypted, key, pem };
    } catch (err) {
      last = err;
    }
  }
  const code = (last as { code?: string })?.code ?? '';
  const reason = (last as Error)?.message ?? 'unknown format';
  if (passphrase === undefined && (encrypted || /MISSING_PASSPHRASE|INTERRUPTED_OR_CANCELLED/.test(code))) {
    throw new CredentialError('key-missing-passphrase', 'the key is encrypted', {}, { cause: last });
  }
  if (passphrase !== undefined && (encrypted || /BAD_DECRYPT|bad decrypt/i.test(`${code} ${reason}`))) {
    throw new CredentialError('key-bad-passphrase', 'the passphrase does not decrypt the key', {}, { cause: last });
  }
  throw new CredentialError('key-unreadable', reason, {}, { cause: last });
}

/** A certificate and its key, read and matched. */
export interface X509Credential {
  cert: CertificateChain;
  key: PrivateKey;
  /** The key belongs to the leaf certificate. */
  matches: boolean;
}

/** Parsed credentials by SHA-256 of their inputs (no secret is a map key); a device has one, a gateway a few. */
const parsed = new BoundedMap<string, X509Credential>(64);

/**
 * Reads a certificate chain and its key and checks that they belong together. Parsed once per distinct input in the
 * process: provisioning, the hub client and a gateway's repeated calls share the result (an RSA key parse costs about
 * a millisecond, five to ten on a Raspberry Pi). Throws {@link CredentialError}.
 */
export function readX509Credential(
  cert: CredentialInput,
  key: CredentialInput,
  passphrase: string | undefined,
): X509Credential {
  const digest = crypto.createHash('sha256');
  for (const part of [cert, key, passphrase ?? '']) digest.update(part).update('\0');
  digest.update(passphrase === undefined ? 'u' : 'p');
  const id = digest.digest('hex');
  const known = parsed.get(id);
  if (known) return known;
  const c = readCertificateChain(cert);
  const k = readPrivateKey(key, passphrase);
  const credential = Object.freeze({ cert: c, key: k, matches: keyMatches(c.chain[0], k.key) });
  parsed.set(id, credential);
  return credential;
}

/** `rsa 2048`, `ec prime256v1`: a key's algorithm and size or curve. */
export function describeKey(k: KeyObject): string {
  const d = k.asymmetricKeyDetails;
  return `${k.asymmetricKeyType ?? 'unknown'}${d?.modulusLength ? ` ${d.modulusLength}` : ''}${d?.namedCurve ? ` ${d.namedCurve}` : ''}`;
}

/** True when `key` is the private key of `leaf` (different algorithms throw in Node: that is a mismatch too). */
export function keyMatches(leaf: X509Certificate, key: KeyObject): boolean {
  try {
    return leaf.checkPrivateKey(key);
  } catch {
    return false;
  }
}

/**
 * DEVICE_KEY_MISMATCH for a key that is not the leaf's, else undefined: the one place the finding is made, for
 * provisioning and dps-check alike. `where` adds evidence (dps-check names the files).
 */
export function keyMismatchFinding(
  leaf: X509Certificate,
  key: KeyObject,
  where: Record<string, string | undefined> = {},
): Finding | undefined {
  if (keyMatches(leaf, key)) return undefined;
  return createFinding('DEVICE_KEY_MISMATCH', {
    ...where,
    subject: leaf.subject.replace(/\n/g, ', '),
    certKeyType: describeKey(leaf.publicKey),
    keyType: describeKey(key),
  });
}
