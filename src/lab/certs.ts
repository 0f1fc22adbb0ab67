import crypto from 'node:crypto';
import forge from 'node-forge';

/** A certificate and its private key, both PEM. `chainPem` is the certificate followed by its issuing intermediates. */
export interface LabCertificate {
  certPem: string;
  keyPem: string;
  /** Leaf first, then intermediates (not the root): what a device presents in its TLS handshake. */
  chainPem: string;
  /** SHA-256 thumbprint of the DER certificate, upper-case hex without colons (the DPS enrollment form). */
  thumbprint: string;
}

/** What a new certificate should look like. Dates default to "valid from an hour ago for a year". */
export interface CertificateSpec {
  commonName: string;
  /** DNS names for the subjectAltName extension (server certificates). */
  dnsNames?: string[];
  isCa?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** Issuer; omitted = self-signed. */
  issuer?: LabCertificate;
  /** 'server' adds serverAuth, 'client' adds clientAuth to extKeyUsage. */
  usage?: 'server' | 'client' | 'ca';
}

// RSA key generation is the slow part of a lab start. Node's native generator takes tens of milliseconds per key
// (node-forge's pure-JS one takes seconds); a small per-process pool lets tests start many labs cheaply. Keys are
// only ever used for throwaway lab certificates, so reusing one across labs in a process loses nothing.
const keyPool: string[] = [];

/** A fresh (or, with `reuse`, pooled) RSA 2048 private key, PKCS#8 PEM. */
export function rsaKey(reuseSlot?: number): string {
  if (reuseSlot !== undefined && keyPool[reuseSlot]) return keyPool[reuseSlot];
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  if (reuseSlot !== undefined) keyPool[reuseSlot] = pem;
  return pem;
}

let serial = Date.now();

/**
 * A certificate with everything both issuers share: a fresh serial, the validity window (default: an hour ago to a
 * year ahead), the lab subject, and the issuer's subject (or its own, self-signed). Extensions and signing are theirs.
 */
function newCertificate(spec: CertificateSpec, publicKey: forge.pki.PublicKey): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  serial += 1;
  cert.serialNumber = '01' + serial.toString(16).padStart(14, '0');
  const now = Date.now();
  cert.validity.notBefore = spec.notBefore ?? new Date(now - 3600_000);
  cert.validity.notAfter = spec.notAfter ?? new Date(now + 365 * 24 * 3600_000);
  const subject = [
    { name: 'commonName', value: spec.commonName },
    { name: 'organizationName', value: 'dps-private-link lab' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? forge.pki.certificateFromPem(spec.issuer.certPem).subject.attributes : subject);
  return cert;
}

/** Issue a certificate with node-forge (RSA 2048, SHA-256), signed by `spec.issuer` or self-signed. */
export function issueCertificate(spec: CertificateSpec, keyPem: string = rsaKey()): LabCertificate {
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  const cert = newCertificate(spec, publicKey);
  const signingKey = spec.issuer ? (forge.pki.privateKeyFromPem(spec.issuer.keyPem) as forge.pki.rsa.PrivateKey) : key;
  const extensions: object[] = [];
  if (spec.isCa || spec.usage === 'ca') {
    extensions.push({ name: 'basicConstraints', cA: true, critical: true });
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    extensions.push({ name: 'basicConstraints', cA: false });
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    extensions.push({ name: 'extKeyUsage', serverAuth: spec.usage === 'server', clientAuth: spec.usage !== 'server' });
  }
  if (spec.dnsNames?.length) {
    extensions.push({ name: 'subjectAltName', altNames: spec.dnsNames.map((value) => ({ type: 2, value })) });
  }
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(signingKey, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  const chainPem = spec.issuer && !isRoot(spec.issuer) ? certPem + spec.issuer.chainPem : certPem;
  return { certPem, keyPem, chainPem, thumbprint: thumbprintOf(certPem) };
}

function isRoot(c: LabCertificate): boolean {
  const x = new crypto.X509Certificate(c.certPem);
  return x.subject === x.issuer;
}

/** SHA-256 thumbprint of a PEM certificate, upper-case hex, no separators. */
export function thumbprintOf(certPem: string): string {
  return new crypto.X509Certificate(certPem).fingerprint256.replace(/:/g, '').toUpperCase();
}

/** The lab's certificate authority and the server certificates it issued. */
export interface LabPki {
  root: LabCertificate;
  /** The intermediate CA that x509-group devices chain to (the group enrollment's CA). */
  groupCa: LabCertificate;
  server(kind: 'dps' | 'hub', variant?: 'good' | 'wrong-san' | 'expired'): LabCertificate;
}

/**
 * Create the lab PKI: a root CA, an intermediate for group enrollments, and server certificates with SANs for the DPS
 * and hub names (plus the privatelink names, as the real service certificates do not: see `privatelinkSans`).
 */
export function createPki(names: { dps: string; hub: string }, options: { privatelinkSans?: boolean } = {}): LabPki {
  const root = issueCertificate({ commonName: 'dps-private-link lab root CA', usage: 'ca' }, rsaKey(0));
  const groupCa = issueCertificate(
    { commonName: 'dps-private-link lab group CA', usage: 'ca', issuer: root },
    rsaKey(1),
  );
  const serverKey = rsaKey(2);
  const cache = new Map<string, LabCertificate>();
  const sans = (host: string): string[] => {
    // Real DPS/hub certificates cover *.azure-devices-provisioning.net / *.azure-devices.net; the lab is narrower
    // on purpose so a client connecting to any other name fails the hostname check.
    const out = [host];
    if (options.privatelinkSans) out.push(host.replace(/^([^.]+)\./, '$1.privatelink.'));
    return out;
  };
  return {
    root,
    groupCa,
    server(kind, variant = 'good') {
      const key = `${kind}:${variant}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const host = kind === 'dps' ? names.dps : names.hub;
      const now = Date.now();
      const cert = issueCertificate(
        {
          commonName: variant === 'wrong-san' ? 'wrong-name.example.net' : host,
          dnsNames: variant === 'wrong-san' ? ['wrong-name.example.net'] : sans(host),
          usage: 'server',
          issuer: root,
          ...(variant === 'expired'
            ? { notBefore: new Date(now - 400 * 24 * 3600_000), notAfter: new Date(now - 24 * 3600_000) }
            : {}),
        },
        serverKey,
      );
      cache.set(key, cert);
      return cert;
    },
  };
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/**
 * An ECC P-256 device certificate. node-forge cannot encode EC public keys nor sign with ECDSA, so we let forge build
 * the TBSCertificate around a placeholder RSA key, swap in the EC SubjectPublicKeyInfo Node exports, and sign the
 * DER with Node's crypto (ECDSA for self-signed, RSA for the group CA). Still node-forge's ASN.1, no hand-made DER.
 */
export function issueEcCertificate(spec: CertificateSpec): LabCertificate {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const placeholder = forge.pki.privateKeyFromPem(rsaKey(3)) as forge.pki.rsa.PrivateKey;
  const cert = newCertificate(spec, forge.pki.setRsaPublicKey(placeholder.n, placeholder.e));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  // forge fills the signature algorithm from this field when building the TBS.
  const selfSigned = !spec.issuer;
  cert.siginfo.algorithmOid = selfSigned ? ECDSA_WITH_SHA256 : forge.pki.oids.sha256WithRSAEncryption;
  // getTBSCertificate is a public forge.pki function that @types/node-forge does not declare.
  const { getTBSCertificate } = forge.pki as unknown as {
    getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1;
  };
  const tbs = getTBSCertificate(cert);
  const tbsItems = tbs.value as forge.asn1.Asn1[];
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' });
  tbsItems[6] = forge.asn1.fromDer(forge.util.createBuffer(spkiDer.toString('binary')));
  const sigAlg = signatureAlgorithm(cert.siginfo.algorithmOid, !selfSigned);
  tbsItems[2] = sigAlg;
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  const signature = crypto.sign(
    'sha256',
    tbsDer,
    selfSigned ? privateKey : crypto.createPrivateKey(spec.issuer!.keyPem),
  );
  const certAsn1 = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
    tbs,
    sigAlg,
    forge.asn1.create(
      forge.asn1.Class.UNIVERSAL,
      forge.asn1.Type.BITSTRING,
      false,
      String.fromCharCode(0) + signature.toString('binary'),
    ),
  ]);
  const certPem = certificatePem(Buffer.from(forge.asn1.toDer(certAsn1).getBytes(), 'binary'));
  const chainPem = spec.issuer && !isRoot(spec.issuer) ? certPem + spec.issuer.chainPem : certPem;
  return { certPem, keyPem, chainPem, thumbprint: thumbprintOf(certPem) };
}

/** An AlgorithmIdentifier: RSA signatures carry NULL parameters; ECDSA ones carry none (RFC 5758). */
function signatureAlgorithm(oid: string, nullParameters: boolean): forge.asn1.Asn1 {
  const { Class, Type } = forge.asn1;
  return forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    forge.asn1.create(Class.UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(oid).getBytes()),
    ...(nullParameters ? [forge.asn1.create(Class.UNIVERSAL, Type.NULL, false, '')] : []),
  ]);
}

/** A DER certificate as PEM, 64 base64 characters a line. */
function certificatePem(der: Buffer): string {
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
