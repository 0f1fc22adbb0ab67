import type tls from 'node:tls';
import {
  CredentialError,
  isPem,
  keyMismatchFinding,
  readX509Credential,
  type X509Credential,
} from '../config/credentials';
import { sharedContext } from '../connection/trust';
import { InvalidOptionError } from '../errors';
import type { Finding } from '../findings/types';
import type { PemInput, TlsMinVersion } from '../connection/types';
import type { X509Auth } from './types';

/** An X.509 credential after parsing: PEM text the SDKs accept, and whether the key belongs to the leaf. */
export interface CheckedX509 {
  auth: X509Auth;
  /** DEVICE_KEY_MISMATCH when the key is readable but is not the leaf certificate's key. */
  mismatch?: Finding;
  /** The secure context that carries this credential under `policy` (see {@link checkX509}). */
  context?: tls.SecureContext;
}

/** The TLS policy of the connections a credential is for: the context that carries it is built for these. */
export interface ContextPolicy {
  ca?: PemInput | PemInput[];
  minVersion: TlsMinVersion;
}

const CERT_FIX = 'Pass the device certificate chain (leaf first) as PEM text, or one DER certificate as a Buffer.';
const KEY_FIX =
  'Pass the private key of the device certificate as PEM text (PKCS#8, PKCS#1 or SEC1), or DER bytes as a Buffer.';

/** The API's wording for a credential the one reader (config/credentials) could not read: it names the option. */
function toOptionError(err: unknown, name: string): unknown {
  if (!(err instanceof CredentialError)) return err;
  const { index, count, length } = err.details;
  switch (err.problem) {
    case 'cert-no-pem':
      return new InvalidOptionError(
        `${name}.cert`,
        `contains no PEM certificate (a string of ${length} characters)`,
        CERT_FIX,
      );
    case 'cert-not-der':
      return new InvalidOptionError(
        `${name}.cert`,
        `is neither PEM nor a DER certificate (a Buffer of ${length} bytes)`,
        CERT_FIX,
        err.cause,
      );
    case 'cert-no-certificate-block':
      return new InvalidOptionError(`${name}.cert`, 'contains no complete PEM certificate block', CERT_FIX);
    case 'cert-unreadable':
      return new InvalidOptionError(
        `${name}.cert`,
        `certificate ${index} of ${count} is not a readable X.509 certificate`,
        CERT_FIX,
        err.cause,
      );
    case 'key-missing-passphrase':
      return new InvalidOptionError(
        `${name}.passphrase`,
        'is missing: the key is encrypted',
        'Pass the passphrase of the key as auth.passphrase.',
        err.cause,
      );
    case 'key-bad-passphrase':
      return new InvalidOptionError(
        `${name}.passphrase`,
        'does not decrypt the key (value not shown)',
        'Pass the passphrase the key was encrypted with.',
        err.cause,
      );
    case 'key-no-pem':
      return new InvalidOptionError(`${name}.key`, 'contains no PEM private key (value not shown)', KEY_FIX);
    case 'key-unreadable':
      return new InvalidOptionError(
        `${name}.key`,
        'is not a readable private key (value not shown)',
        KEY_FIX,
        err.cause,
      );
  }
}

/**
 * Parses an X.509 credential: certificate (PEM chain or DER), key (PEM or DER, with `passphrase`), and checks the
 * key belongs to the leaf — through the one reader, so a credential already read in this process is not parsed again.
 * Unreadable parts throw InvalidOptionError naming `<name>.cert` / `.key` / `.passphrase`; a readable but foreign key
 * is returned as DEVICE_KEY_MISMATCH for the caller to throw in its own error type.
 */
export function checkX509(
  cert: PemInput,
  key: PemInput,
  passphrase: string | undefined,
  name: string,
  policy?: ContextPolicy,
): CheckedX509 {
  const context = policy && isPem(cert) && isPem(key) ? contextFor(cert, key, passphrase, policy) : undefined;
  if (context) return { auth: { cert, key, ...(passphrase !== undefined ? { passphrase } : {}) }, context };
  let credential: X509Credential;
  try {
    credential = readX509Credential(cert, key, passphrase);
  } catch (err) {
    throw toOptionError(err, name);
  }
  const leaf = credential.cert.chain[0];
  const auth: X509Auth = {
    cert: credential.cert.pem,
    key: credential.key.pem,
    ...(passphrase !== undefined ? { passphrase } : {}),
  };
  const mismatch = credential.matches ? undefined : keyMismatchFinding(leaf, credential.key.key);
  if (mismatch) return { auth, mismatch };
  if (!policy) return { auth };
  // Readable and matched, yet OpenSSL refused to build a context of it (e.g. an RSA key under 2048 bits at OpenSSL's
  // default security level): the handshake would fail the same way, so say it here, naming the option.
  try {
    return { auth, context: sharedContext({ ...policy, ...auth }) };
  } catch (err) {
    throw new InvalidOptionError(
      `${name}.cert`,
      `is refused by this Node's OpenSSL for TLS (${(err as Error).message})`,
      'Use a device certificate with an RSA key of 2048 bits or more, or an ECC P-256/P-384 key.',
      err,
    );
  }
}

/**
 * With `policy`, checkX509 costs what the handshake costs anyway: OpenSSL builds the secure context the connections
 * will use (trust, versions, credentials), and in doing so reads the certificate and the key and refuses a key of the
 * leaf's algorithm that is not the leaf's ("key values mismatch"). Only when it refuses are they parsed here, for
 * the precise error. Parsing them first cost a gateway ~0.75 ms a device (X509Certificate + createPrivateKey, ECC
 * P-256, a quiet x86 core) on top of the context. What OpenSSL does not refuse is a key of another algorithm (an RSA
 * key beside an ECC certificate): it files the key in another slot, and the handshake then sends no certificate —
 * {@link lateKeyMismatch} names that after the fact.
 */
function contextFor(
  cert: PemInput,
  key: PemInput,
  passphrase: string | undefined,
  policy: ContextPolicy,
): tls.SecureContext | undefined {
  try {
    return sharedContext({ ...policy, cert, key, ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch {
    return undefined;
  }
}

/**
 * DEVICE_KEY_MISMATCH for a credential that checkX509 let through on OpenSSL's word, when a connection with it then
 * failed and the key turns out not to be the leaf's (another algorithm); undefined otherwise. Parsed only then.
 */
export function lateKeyMismatch(auth: X509Auth): Finding | undefined {
  try {
    const credential = readX509Credential(auth.cert, auth.key, auth.passphrase);
    return credential.matches ? undefined : keyMismatchFinding(credential.cert.chain[0], credential.key.key);
  } catch {
    return undefined;
  }
}
