import type { X509Certificate } from 'node:crypto';
import { keyMismatchFinding } from '../config/credentials';
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
    // The same finding provisioning makes, from the same function.
    const mismatch = keyMismatchFinding(leaf, id.key, { certFile: id.certFile, keyFile: id.keyFile });
    if (mismatch) return { findings: [mismatch], evidence: { ...evidence, match: false } };
    return { evidence: { ...evidence, match: true }, detail: keyType };
  },
};
