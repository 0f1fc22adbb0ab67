import { catalogue, type EvidenceOf, type FindingCode } from './catalogue';
import { InvalidOptionError } from './error';
import { linkOf } from './links';
import type { Finding, Severity } from './types';

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/**
 * A finding function was given something that is not a finding, a catalogue code or evidence (a caller in plain
 * JavaScript, a stored result edited by hand): an InvalidOptionError like every malformed input of this package.
 */
export class InvalidFindingInputError extends InvalidOptionError {}

/** What a value is, for messages, without showing it (it may be anything, a secret included). */
function kind(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** True when `code` is a catalogue code (an own entry: `toString` and `__proto__` are not codes). */
export function isFindingCode(code: unknown): code is FindingCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(catalogue, code);
}

/** True for a value with the shape of a {@link Finding} (code, severity, message, remediation, evidence object). */
export function isFinding(f: unknown): f is Finding {
  if (!f || typeof f !== 'object') return false;
  const x = f as Record<string, unknown>;
  return (
    typeof x.code === 'string' &&
    SEVERITIES.includes(x.severity as Severity) &&
    typeof x.message === 'string' &&
    typeof x.remediation === 'string' &&
    !!x.evidence &&
    typeof x.evidence === 'object' &&
    !Array.isArray(x.evidence)
  );
}

/**
 * `findings` checked to be an array of {@link Finding}s, for functions that read findings they were given.
 * @throws InvalidFindingInputError naming `name[i]` for the first one that is not a finding.
 */
export function checkFindings(findings: unknown, name = 'findings'): readonly Finding[] {
  if (!Array.isArray(findings)) {
    throw new InvalidFindingInputError(name, `expected an array of findings, got ${kind(findings)}`, FINDINGS_FIX);
  }
  findings.forEach((f, i) => {
    if (!isFinding(f)) {
      throw new InvalidFindingInputError(
        `${name}[${i}]`,
        `expected a finding { code, severity, message, evidence, remediation }, got ${kind(f)}`,
        FINDINGS_FIX,
      );
    }
  });
  return findings as Finding[];
}

const FINDINGS_FIX = 'Pass findings as this package made them (createFinding, or a result or error it returned).';

/**
 * Builds a finding from the catalogue, so every code always has its message and remediation. Evidence that lacks
 * what the entry's message reads still yields a finding (its message then says the evidence is incomplete).
 * @param options.severity - Overrides the catalogue's severity, for codes whose weight depends on the context.
 * @throws InvalidFindingInputError when `code` is not in the catalogue, `evidence` is not an object, or the severity
 *   is not error, warning or info.
 */
export function createFinding<C extends FindingCode>(
  code: C,
  evidence: EvidenceOf<C>,
  options: { severity?: Severity } = {},
): Finding {
  if (!isFindingCode(code as unknown)) {
    const given: unknown = code;
    throw new InvalidFindingInputError(
      'code',
      `${typeof given === 'string' ? JSON.stringify(given.slice(0, 64)) : kind(given)} is not a finding code`,
      'Use a code of the catalogue, e.g. DNS_PUBLIC_ADDRESS.',
    );
  }
  if (!evidence || typeof evidence !== 'object' || Array.isArray(evidence)) {
    throw new InvalidFindingInputError(
      'evidence',
      `expected an object, got ${kind(evidence)}`,
      'Pass the evidence object.',
    );
  }
  const severity = (options ?? {}).severity;
  if (severity !== undefined && !SEVERITIES.includes(severity)) {
    throw new InvalidFindingInputError(
      'options.severity',
      `${kind(severity)} is not a severity`,
      "Use 'error', 'warning' or 'info'.",
    );
  }
  const spec = catalogue[code] as unknown as {
    severity: Severity;
    title: string;
    message: (e: EvidenceOf<C>) => string;
    remediation: (e: EvidenceOf<C>) => string;
  };
  return {
    code,
    severity: severity ?? spec.severity,
    message: textOf(() => spec.message(evidence), `${spec.title} (the evidence is incomplete).`),
    evidence: evidence as Record<string, unknown>,
    remediation: textOf(() => spec.remediation(evidence), `See the documentation of ${code}.`),
    ...linkField(code),
  };
}

/** The finding's documentation link, set here so every finding carries it (the library's and dps-check's alike). */
function linkField(code: FindingCode): { link?: string } {
  const link = linkOf(code);
  return link ? { link } : {};
}

/** A catalogue text for the evidence, or `fallback` when the evidence lacks what the text reads. */
function textOf(build: () => unknown, fallback: string): string {
  try {
    const text = build();
    return typeof text === 'string' ? text : fallback;
  } catch {
    return fallback;
  }
}

/** True when any finding is an error. */
export function hasError(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
