import type { X509Certificate } from 'node:crypto';
import { commonNameOf } from '../config/identity';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import type { Check } from './types';

/** Below this many days left, an unexpired device certificate is a warning. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** `device-cert-validity`: every certificate in the device file is inside its validity period. */
export const deviceCertValidity: Check = {
  id: 'device-cert-validity',
  title: 'Device certificate is within its validity period',
  section: 'device-identity',
  dependsOn: ['device-cert'],
  after: [],
  run(ctx) {
    const chain = ctx.identity?.chain as X509Certificate[];
    const now = ctx.settings.now();
    const findings: Finding[] = [];
    const certs = chain.map((cert, i) => {
      const notBefore = new Date(cert.validFrom);
      const notAfter = new Date(cert.validTo);
      const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
      const e = {
        certFile: `${ctx.identity?.certFile}${i > 0 ? ` (certificate ${i + 1} in the file)` : ''}`,
        subject: cert.subject.replace(/\n/g, ', '),
        commonName: commonNameOf(cert) ?? undefined,
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        now: now.toISOString(),
        daysLeft,
        fingerprint256: cert.fingerprint256,
      };
      if (notAfter.getTime() < now.getTime()) findings.push(createFinding('DEVICE_CERT_EXPIRED', e));
      else if (notBefore.getTime() > now.getTime()) findings.push(createFinding('DEVICE_CERT_NOT_YET_VALID', e));
      else if (daysLeft < EXPIRY_WARNING_DAYS) findings.push(createFinding('DEVICE_CERT_EXPIRES_SOON', e));
      return { subject: e.subject, notBefore: e.notBefore, notAfter: e.notAfter, daysLeft };
    });
    const leaf = certs[0];
    return {
      findings,
      evidence: { now: now.toISOString(), certificates: certs },
      detail: leaf ? `valid until ${leaf.notAfter} (${leaf.daysLeft} days)` : undefined,
    };
  },
};
