import type { X509Certificate } from 'node:crypto';
import { createFinding } from '../findings/finding';
import { describeKey, keyTypeOf } from './device-cert';
import type { Check } from './types';

/** `device-key-match`: the private key belongs to the device certificate. */
export const deviceKeyMatch: Check = {
  id: 'device-key-match',
  title: 'Private key matches the device certificate',
  section: 'device-identity',
  dependsOn: ['device-cert'],
  after: [],
  run(ctx) {
    const id = ctx.identity;
    const leaf = id?.chain[0] as X509Certificate;
    if (!id?.key) return { result: 'skipped', detail: 'no --key configured' };
    const keyType = describeKey(id.key);
    const evidence = {
      certFile: id.certFile,
      keyFile: id.keyFile,
      subject: leaf.subject.replace(/\n/g, ', '),
      certKeyType: keyTypeOf(leaf),
      keyType,
    };
    let match = false;
    try {
      match = leaf.checkPrivateKey(id.key);
    } catch {
      match = false; // different algorithms (RSA key vs EC certificate) throw instead of returning false
    }
    if (!match) return { findings: [createFinding('DEVICE_KEY_MISMATCH', evidence)], evidence: { ...evidence, match } };
    return { evidence: { ...evidence, match }, detail: keyType };
  },
};
