import type { KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidOptionError } from '../errors';
import { CredentialError, readCertificateChain, readPrivateKey } from './credentials';
import { ENV_PASSPHRASE } from './sources';

/** A device's X.509 identity as read from its files: parsed, never logged. */
export interface DeviceIdentity {
  /** Path of the certificate file it was read from. */
  certFile: string;
  /** `pem` or `der`, as found in the file. */
  certFormat: 'pem' | 'der';
  /** Every certificate in the cert file, leaf first (a group-enrollment device file may carry its intermediates). */
  chain: X509Certificate[];
  /** PEM of the whole chain, for the SDK. */
  certPem: string;
  /** Path of the key file, when one was given. */
  keyFile?: string;
  /** `pem` or `der`, as found in the key file. */
  keyFormat?: 'pem' | 'der';
  /** Whether the key file was encrypted (then the passphrase decrypted it). */
  keyEncrypted?: boolean;
  /** The decrypted private key; export only to hand it to the TLS stack. */
  key?: KeyObject;
}

/** Inputs of {@link loadDeviceIdentity}; `*Source` names where a path came from (e.g. `--cert`), for messages. */
export interface LoadIdentityOptions {
  /** Path of the device certificate file (PEM chain, leaf first, or one DER certificate). */
  certFile: string;
  /** Where `certFile` came from, e.g. `--cert`, for error messages. */
  certSource?: string;
  /** Path of the private key file (PEM or DER, optionally encrypted). Without it only the certificate is read. */
  keyFile?: string;
  /** Where `keyFile` came from, e.g. `--key`, for error messages. */
  keySource?: string;
  /** Passphrase of an encrypted key (from DPS_KEY_PASSPHRASE). */
  passphrase?: string;
}

function readInput(file: string, source: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new InvalidOptionError(
      `${source} ${file}`,
      code === 'ENOENT' ? 'no such file' : `cannot read the file (${code})`,
      `Point ${source} at the device's ${what} file (and check the file permissions for this user).`,
      err,
    );
  }
}

/** Parses a certificate file holding one or more PEM certificates, or one DER certificate. */
export function parseCertificates(data: Buffer, where: string): { format: 'pem' | 'der'; chain: X509Certificate[] } {
  try {
    const { format, chain } = readCertificateChain(data);
    return { format, chain };
  } catch (err) {
    throw new InvalidOptionError(
      where,
      `not a PEM or DER X.509 certificate (${(err as Error).message})`,
      'Point it at the device certificate: PEM ("-----BEGIN CERTIFICATE-----", leaf first, then intermediates) or DER.',
      err,
    );
  }
}

/** Parses a private key: PEM (PKCS#8, PKCS#1, SEC1, optionally encrypted) or DER (PKCS#8, PKCS#1, SEC1). */
export function parsePrivateKey(
  data: Buffer,
  where: string,
  passphrase?: string,
): { format: 'pem' | 'der'; encrypted: boolean; key: KeyObject } {
  try {
    // An empty DPS_KEY_PASSPHRASE is no passphrase.
    const { format, encrypted, key } = readPrivateKey(data, passphrase || undefined);
    return { format, encrypted, key };
  } catch (err) {
    const problem = err instanceof CredentialError ? err.problem : 'key-unreadable';
    if (problem === 'key-missing-passphrase') {
      throw new InvalidOptionError(
        where,
        'the private key is encrypted and no passphrase was given',
        `Set the environment variable ${ENV_PASSPHRASE} to the key's passphrase (it is never accepted on the command line).`,
      );
    }
    if (problem === 'key-bad-passphrase') {
      throw new InvalidOptionError(
        where,
        'cannot decrypt the private key: wrong passphrase',
        `Set ${ENV_PASSPHRASE} to the passphrase this key was encrypted with.`,
        err,
      );
    }
    throw new InvalidOptionError(
      where,
      `not a private key (${(err as Error)?.message ?? 'unknown format'})`,
      'Point it at the device private key: PEM ("-----BEGIN PRIVATE KEY-----", RSA or EC) or DER (PKCS#8, PKCS#1 or SEC1).',
      err,
    );
  }
}

/**
 * Reads and parses the device certificate and key files.
 * @throws InvalidOptionError naming the file and the fix: missing/unreadable file, garbage PEM, encrypted key without
 * a passphrase, wrong passphrase. The passphrase is never part of a message.
 */
export function loadDeviceIdentity(options: LoadIdentityOptions): DeviceIdentity {
  const certSource = options.certSource ?? '--cert';
  const certData = readInput(options.certFile, certSource, 'certificate');
  const { format, chain } = parseCertificates(certData, `${certSource} ${options.certFile}`);
  const identity: DeviceIdentity = {
    certFile: options.certFile,
    certFormat: format,
    chain,
    certPem: chain.map((c) => c.toString()).join(''),
  };
  if (options.keyFile) {
    const keySource = options.keySource ?? '--key';
    const keyData = readInput(options.keyFile, keySource, 'private key');
    const parsed = parsePrivateKey(keyData, `${keySource} ${options.keyFile}`, options.passphrase);
    identity.keyFile = options.keyFile;
    identity.keyFormat = parsed.format;
    identity.keyEncrypted = parsed.encrypted;
    identity.key = parsed.key;
  }
  return identity;
}

/** The Common Name of a certificate subject (`CN=...` line), or null. */
export function commonNameOf(cert: X509Certificate): string | null {
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return null;
}
