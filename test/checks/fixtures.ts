// Device certificates for the dps-check tests, made on the fly: node-forge for RSA certificates with arbitrary
// validity (expired / not yet valid), Node's crypto for keys and their encodings, openssl for EC (forge cannot sign
// EC).
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';

/** A generated RSA key pair: Node KeyObject plus the forge key that signs. */
export interface TestKey {
  privateKey: KeyObject;
  forgeKey: forge.pki.rsa.PrivateKey;
  forgePublic: forge.pki.rsa.PublicKey;
}

/** A fresh RSA 2048 key (native generation: fast). */
export function rsaKey(): TestKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forgeKey = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
  ) as forge.pki.rsa.PrivateKey;
  return { privateKey, forgeKey, forgePublic: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

const DAY = 86_400_000;

/** Options of {@link makeCert}. */
export interface CertOptions {
  cn: string;
  key: TestKey;
  /** Default: self-signed. */
  issuer?: { cert: forge.pki.Certificate; key: TestKey };
  notBefore?: Date;
  notAfter?: Date;
  ca?: boolean;
  /** DNS subjectAltNames (server certificates). */
  sans?: string[];
}

let serial = 1;

/** An X.509 certificate signed with SHA-256. */
export function makeCert(o: CertOptions): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = o.key.forgePublic;
  cert.serialNumber = (0x1000 + serial++).toString(16);
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = o.notAfter ?? new Date(Date.now() + 365 * DAY);
  cert.setSubject([{ name: 'commonName', value: o.cn }]);
  cert.setIssuer(o.issuer ? o.issuer.cert.subject.attributes : [{ name: 'commonName', value: o.cn }]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: o.ca ?? false },
    ...(o.ca ? [{ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true }] : []),
    ...(o.sans ? [{ name: 'subjectAltName', altNames: o.sans.map((value) => ({ type: 2, value })) }] : []),
  ]);
  cert.sign((o.issuer?.key ?? o.key).forgeKey, forge.md.sha256.create());
  return cert;
}

/** PEM of one certificate. */
export function pem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert);
}

/** A temp folder for one test file's fixtures. */
export function tempDir(prefix = 'dps-check-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes `data` to dir/name and returns the path. */
export function put(dir: string, name: string, data: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return file;
}

/** A self-signed EC P-256 certificate and its SEC1 key, made by openssl. Returns their paths. */
export function ecCert(dir: string, cn: string): { cert: string; key: string } {
  const key = path.join(dir, `${cn}-ec.key`);
  const cert = path.join(dir, `${cn}-ec.pem`);
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], { stdio: 'pipe' });
  execFileSync('openssl', ['req', '-new', '-x509', '-key', key, '-out', cert, '-days', '365', '-subj', `/CN=${cn}`], {
    stdio: 'pipe',
  });
  return { cert, key };
}

/** Reads a file as text. */
export function text(file: string): string {
  return readFileSync(file, 'utf8');
}
