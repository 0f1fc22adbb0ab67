import crypto from 'node:crypto';
import { InvalidOptionError } from '../errors';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import type { PemInput } from '../connection/types';
import type { X509Auth } from './types';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** An X.509 credential after parsing: PEM text the SDKs accept, and whether the key belongs to the leaf. */
export interface CheckedX509 {
  auth: X509Auth;
  /** DEVICE_KEY_MISMATCH when the key is readable but is not the leaf certificate's key. */
  mismatch?: Finding;
}

const isPemText = (v: PemInput): boolean => (typeof v === 'string' ? v : v.toString('latin1')).includes('-----BEGIN');

/**
 * Parses the device certificate (PEM chain, leaf first, or one DER certificate) into PEM text. Throws
 * InvalidOptionError naming `<name>.cert`: a certificate DPS would only reject at the TLS handshake, blamed on the
 * network, is refused here instead.
 */
function parseCert(cert: PemInput, name: string): { pem: string; leaf: crypto.X509Certificate } {
  const fix = 'Pass the device certificate chain (leaf first) as PEM text, or one DER certificate as a Buffer.';
  if (!isPemText(cert)) {
    if (typeof cert === 'string')
      throw new InvalidOptionError(
        `${name}.cert`,
        `contains no PEM certificate (a string of ${cert.length} characters)`,
        fix,
      );
    try {
      // DER bytes: the type promises them, and the SDKs only take PEM text, so convert once here.
      const leaf = new crypto.X509Certificate(cert);
      return { pem: leaf.toString(), leaf };
    } catch (cause) {
      throw new InvalidOptionError(
        `${name}.cert`,
        `is neither PEM nor a DER certificate (a Buffer of ${cert.length} bytes)`,
        fix,
        cause,
      );
    }
  }
  const text = typeof cert === 'string' ? cert : cert.toString('latin1');
  const blocks = text.match(PEM_CERT) ?? [];
  if (blocks.length === 0)
    throw new InvalidOptionError(`${name}.cert`, 'contains no complete PEM certificate block', fix);
  const parsed = blocks.map((block, i) => {
    try {
      return new crypto.X509Certificate(block);
    } catch (cause) {
      throw new InvalidOptionError(
        `${name}.cert`,
        `certificate ${i + 1} of ${blocks.length} is not a readable X.509 certificate`,
        fix,
        cause,
      );
    }
  });
  return { pem: blocks.join('\n') + '\n', leaf: parsed[0] };
}

/** Reads the private key (PEM or DER, encrypted with `passphrase` or not). Never echoes the key or the passphrase. */
function parseKey(
  key: PemInput,
  passphrase: string | undefined,
  name: string,
): { key: PemInput; object: crypto.KeyObject } {
  const fix =
    'Pass the private key of the device certificate as PEM text (PKCS#8, PKCS#1 or SEC1), or DER bytes as a Buffer.';
  // Node reports a missing passphrase as ERR_MISSING_PASSPHRASE or (OpenSSL 3) "interrupted or cancelled"; the PEM
  // header says it outright. A wrong one is "bad decrypt".
  const encrypted = isPemText(key) && /ENCRYPTED/.test(typeof key === 'string' ? key : key.toString('latin1'));
  const failure = (cause: unknown): InvalidOptionError => {
    const code = (cause as { code?: string })?.code ?? '';
    const reason = (cause as Error)?.message ?? '';
    if (passphrase === undefined && (encrypted || /MISSING_PASSPHRASE|INTERRUPTED_OR_CANCELLED/.test(code))) {
      return new InvalidOptionError(
        `${name}.passphrase`,
        'is missing: the key is encrypted',
        'Pass the passphrase of the key as auth.passphrase.',
        cause,
      );
    }
    if (passphrase !== undefined && (encrypted || /BAD_DECRYPT|bad decrypt/i.test(`${code} ${reason}`))) {
      return new InvalidOptionError(
        `${name}.passphrase`,
        'does not decrypt the key (value not shown)',
        'Pass the passphrase the key was encrypted with.',
        cause,
      );
    }
    return new InvalidOptionError(`${name}.key`, 'is not a readable private key (value not shown)', fix, cause);
  };
  if (isPemText(key)) {
    try {
      return { key, object: crypto.createPrivateKey({ key, ...(passphrase !== undefined ? { passphrase } : {}) }) };
    } catch (cause) {
      throw failure(cause);
    }
  }
  if (typeof key === 'string')
    throw new InvalidOptionError(`${name}.key`, 'contains no PEM private key (value not shown)', fix);
  let last: unknown;
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      const object = crypto.createPrivateKey({
        key,
        format: 'der',
        type,
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
      // The SDKs take PEM text only. Exported unencrypted, like the KeyObject it is already held as in memory.
      return { key: object.export({ format: 'pem', type: 'pkcs8' }) as string, object };
    } catch (cause) {
      last = cause;
    }
  }
  throw failure(last);
}

function keyType(k: crypto.KeyObject): string {
  const d = k.asymmetricKeyDetails;
  return `${k.asymmetricKeyType ?? 'unknown'}${d?.modulusLength ? ` ${d.modulusLength}` : ''}${d?.namedCurve ? ` ${d.namedCurve}` : ''}`;
}

/**
 * Parses an X.509 credential: certificate (PEM chain or DER), key (PEM or DER, with `passphrase`), and checks the
 * key belongs to the leaf. Unreadable parts throw InvalidOptionError naming `<name>.cert` / `.key` / `.passphrase`;
 * a readable but foreign key is returned as DEVICE_KEY_MISMATCH for the caller to throw in its own error type.
 */
export function checkX509(cert: PemInput, key: PemInput, passphrase: string | undefined, name: string): CheckedX509 {
  const c = parseCert(cert, name);
  const k = parseKey(key, passphrase, name);
  let match = false;
  try {
    match = c.leaf.checkPrivateKey(k.object);
  } catch {
    match = false; // different algorithms (RSA key, EC certificate) throw instead of returning false
  }
  const auth: X509Auth = { cert: c.pem, key: k.key, ...(passphrase !== undefined ? { passphrase } : {}) };
  if (match) return { auth };
  const mismatch = createFinding('DEVICE_KEY_MISMATCH', {
    subject: c.leaf.subject.replace(/\n/g, ', '),
    certKeyType: keyType(c.leaf.publicKey),
    keyType: keyType(k.object),
  });
  return { auth, mismatch };
}
