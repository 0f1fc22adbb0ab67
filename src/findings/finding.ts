import { catalogue, type EvidenceOf, type FindingCode } from './catalogue';
import type { Finding, Severity } from './types';

/**
 * Builds a finding from the catalogue, so every code always has its message and remediation.
 * @param options.severity - Overrides the catalogue's severity, for codes whose weight depends on the context.
 */
export function createFinding<C extends FindingCode>(
  code: C,
  evidence: EvidenceOf<C>,
  options: { severity?: Severity } = {},
): Finding {
  const spec = catalogue[code] as unknown as {
    severity: Severity;
    message: (e: EvidenceOf<C>) => string;
    remediation: (e: EvidenceOf<C>) => string;
  };
  return {
    code,
    severity: options.severity ?? spec.severity,
    message: spec.message(evidence),
    evidence: evidence as Record<string, unknown>,
    remediation: spec.remediation(evidence),
  };
}

/** True when any finding is an error. */
export function hasError(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
