import type { X509Certificate } from 'node:crypto';
import { commonNameOf } from '../config/identity';
import { createFinding } from '../findings/finding';
import type { Check } from './types';

/** `device-cert-cn`: the certificate's Common Name is the registration id (DPS X.509 attestation requires it). */
export const deviceCertCn: Check = {
  id: 'device-cert-cn',
  title: 'Certificate Common Name equals the registration id',
  section: 'device-identity',
  dependsOn: ['device-cert'],
  after: [],
  run(ctx) {
    const id = ctx.identity;
    const registrationId = ctx.config.registrationId;
    const commonName = commonNameOf(id?.chain[0] as X509Certificate);
    if (!registrationId)
      return { result: 'skipped', evidence: { commonName }, detail: 'no --registration-id configured' };
    const evidence = { certFile: id?.certFile, commonName, registrationId };
    if (commonName !== registrationId)
      return { findings: [createFinding('DEVICE_CERT_CN_MISMATCH', evidence)], evidence };
    return { evidence, detail: `CN=${commonName}` };
  },
};
