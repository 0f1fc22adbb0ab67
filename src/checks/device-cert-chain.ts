import type { X509Certificate } from 'node:crypto';
import { createFinding } from '../findings/finding';
import type { Check, CheckOutcome } from './types';

function isSelfSigned(c: X509Certificate): boolean {
  try {
    // Not checkIssued(c): OpenSSL also wants keyCertSign there, which a self-signed device certificate lacks.
    return c.subject === c.issuer && c.verify(c.publicKey);
  } catch {
    return false;
  }
}

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

type Link = { subject: string; issuer: string; ca: boolean; selfSigned: boolean };
type Break = { at: number; reason: 'not-signed-by-next' | 'next-not-ca' };

/** The first broken link of the chain (`at`: index of the child) and why; undefined when every link holds. */
function brokenLink(chain: readonly X509Certificate[]): Break | undefined {
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i] as X509Certificate;
    const parent = chain[i + 1] as X509Certificate;
    if (!signedBy(child, parent)) return { at: i, reason: 'not-signed-by-next' };
    if (!parent.ca) return { at: i, reason: 'next-not-ca' };
  }
  return undefined;
}

function okDetail(links: readonly Link[]): string {
  const leaf = links[0];
  if (links.length === 1 && leaf?.selfSigned) return 'self-signed (individual enrollment: DPS matches the thumbprint)';
  if (links.length === 1)
    return (
      `issued by "${leaf?.issuer}"; no intermediates in the file ` +
      '(a group enrollment on an intermediate needs them)'
    );
  return `${links.length} certificates, each signed by the next`;
}

function brokenOutcome(links: readonly Link[], { at, reason }: Break, certFile?: string): CheckOutcome {
  const child = links[at] as Link;
  const parent = links[at + 1] as Link;
  const finding = createFinding('DEVICE_CERT_CHAIN_BROKEN', {
    ...(certFile ? { certFile } : {}),
    position: at + 1,
    subject: child.subject,
    issuer: child.issuer,
    nextSubject: parent.subject,
    reason,
  });
  const detail =
    reason === 'next-not-ca'
      ? `certificate ${at + 2} ("${parent.subject}") is not a CA certificate (basicConstraints CA:FALSE)`
      : `certificate ${at + 1} ("${child.subject}") is not signed by certificate ${at + 2} ("${parent.subject}"): ` +
        `put the device certificate first, then its issuing intermediate, then the next CA up`;
  return { findings: [finding], evidence: { links, brokenAt: at }, detail };
}

/**
 * `device-cert-chain`: the certificates in the device file form a chain, leaf first, each signed by the next.
 * A group enrollment needs the chain up to the enrolled CA on the wire, so a file in the wrong order (or with a
 * foreign certificate in it) fails attestation with a bare 401 (DEVICE_CERT_CHAIN_BROKEN).
 */
export const deviceCertChain: Check = {
  id: 'device-cert-chain',
  title: 'Certificate file is an ordered chain (leaf first)',
  section: 'device-identity',
  dependsOn: ['device-cert'],
  after: [],
  run(ctx) {
    const chain = ctx.identity?.chain ?? [];
    const links: Link[] = chain.map((c) => ({
      subject: c.subject.replace(/\n/g, ', '),
      issuer: c.issuer.replace(/\n/g, ', '),
      ca: c.ca,
      selfSigned: isSelfSigned(c),
    }));
    const broken = brokenLink(chain);
    if (broken) return brokenOutcome(links, broken, ctx.identity?.certFile);
    return { evidence: { links }, detail: okDetail(links) };
  },
};
