import { CredentialError, keyMismatchFinding, readX509Credential, type X509Credential } from '../config/credentials';
import { InvalidOptionError } from '../errors';
import type { Finding } from '../findings/types';
import type { PemInput } from '../connection/types';
import type { X509Auth } from './types';

/** An X.509 credential after parsing: PEM text the SDKs accept, and whether the key belongs to the leaf. */
export interface CheckedX509 {
  auth: X509Auth;
  /** DEVICE_KEY_MISMATCH when the key is readable but is not the leaf certificate's key. */
  mismatch?: Finding;
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
export function checkX509(cert: PemInput, key: PemInput, passphrase: string | undefined, name: string): CheckedX509 {
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
  return mismatch ? { auth, mismatch } : { auth };
}
