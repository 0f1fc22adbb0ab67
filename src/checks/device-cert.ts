import type { X509Certificate } from 'node:crypto';
import { commonNameOf } from '../config/identity';
import type { Check } from './types';
import { describeKey } from '../config/credentials';

/** A short description of a certificate's public key, e.g. `rsa 2048` or `ec prime256v1`. */
export function keyTypeOf(cert: X509Certificate): string {
  return describeKey(cert.publicKey);
}

export { describeKey };

/** `device-cert`: the device certificate (and key) parse; shows what they are. */
export const deviceCert: Check = {
  id: 'device-cert',
  title: 'Device certificate and key can be read',
  section: 'device-identity',
  // Reads only the identity loaded at the door: no reason to wait for the network checks.
  after: [],
  run(ctx) {
    const id = ctx.identity;
    if (!id) {
      return {
        result: 'skipped',
        detail: ctx.loaded.symmetricKey
          ? 'symmetric-key attestation (DPS_SYMMETRIC_KEY): no certificate'
          : 'no --cert configured',
      };
    }
    const leaf = id.chain[0] as X509Certificate;
    const evidence = {
      certFile: id.certFile,
      certFormat: id.certFormat,
      subject: leaf.subject,
      commonName: commonNameOf(leaf),
      issuer: leaf.issuer,
      publicKey: keyTypeOf(leaf),
      fingerprint256: leaf.fingerprint256,
      chainLength: id.chain.length,
      keyFile: id.keyFile ?? null,
      keyFormat: id.keyFormat ?? null,
      keyEncrypted: id.keyEncrypted ?? null,
    };
    if (!id.key)
      return {
        result: 'warning',
        evidence,
        detail: 'no --key given: the key cannot be checked against the certificate',
      };
    return {
      evidence,
      detail:
        `${commonNameOf(leaf) ?? leaf.subject} (${keyTypeOf(leaf)}, ${id.certFormat.toUpperCase()}` +
        `${id.keyEncrypted ? ', encrypted key' : ''})`,
    };
  },
};
