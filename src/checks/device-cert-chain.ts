import type { X509Certificate } from 'node:crypto';
import type { Check } from './types';

function isSelfSigned(c: X509Certificate): boolean {
  try {
    // Not checkIssued(c): OpenSSL also wants keyCertSign there, which a self-signed device certificate lacks.
    return c.subject === c.issuer && c.verify(c.publicKey);
  } catch {
    return false;
  }
}

/**
 * `device-cert-chain`: the certificates in the device file form a chain, leaf first, each signed by the next.
 * A group enrollment needs the chain up to the enrolled CA on the wire, so a file in the wrong order (or with a
 * foreign certificate in it) fails attestation with a bare 401.
 */
export const deviceCertChain: Check = {
  id: 'device-cert-chain',
  title: 'Certificate file is an ordered chain (leaf first)',
  section: 'device-identity',
  dependsOn: ['device-cert'],
  after: [],
  run(ctx) {
    const chain = ctx.identity?.chain as X509Certificate[];
    const links = chain.map((c) => ({
      subject: c.subject.replace(/\n/g, ', '),
      issuer: c.issuer.replace(/\n/g, ', '),
      ca: c.ca,
      selfSigned: isSelfSigned(c),
    }));
    for (let i = 0; i + 1 < chain.length; i++) {
      const child = chain[i] as X509Certificate;
      const parent = chain[i + 1] as X509Certificate;
      let ok = false;
      try {
        ok = child.checkIssued(parent) && child.verify(parent.publicKey);
      } catch {
        ok = false;
      }
      if (!ok) {
        return {
          result: 'error',
          evidence: { links, brokenAt: i },
          detail:
            `certificate ${i + 1} ("${links[i]?.subject}") is not signed by certificate ${i + 2} ("${links[i + 1]?.subject}"): ` +
            `put the device certificate first, then its issuing intermediate, then the next CA up`,
        };
      }
      if (!parent.ca) {
        return {
          result: 'error',
          evidence: { links, brokenAt: i },
          detail: `certificate ${i + 2} ("${links[i + 1]?.subject}") is not a CA certificate (basicConstraints CA:FALSE)`,
        };
      }
    }
    const leaf = links[0];
    let detail: string;
    if (chain.length === 1 && leaf?.selfSigned)
      detail = 'self-signed (individual enrollment: DPS matches the thumbprint)';
    else if (chain.length === 1)
      detail = `issued by "${leaf?.issuer}"; no intermediates in the file (a group enrollment on an intermediate needs them)`;
    else detail = `${chain.length} certificates, each signed by the next`;
    return { evidence: { links }, detail };
  },
};
