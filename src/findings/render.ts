import { redact } from '../log';
import type { Finding, Severity } from './types';

/** Options of {@link renderFindingsText}. */
export interface RenderTextOptions {
  /** ANSI colours. Default false: the caller turns it on only for a TTY. */
  color?: boolean;
  /** Also print each finding's evidence. Default false. */
  verbose?: boolean;
}

const SYMBOL: Record<Severity, string> = { error: '×', warning: '‼', info: 'i' };
const COLOUR: Record<Severity, string> = { error: '\u001b[31m', warning: '\u001b[33m', info: '\u001b[36m' };
const RESET = '\u001b[0m';
const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * Findings as human text, errors first: one headline per finding (`× CODE: message`), then the fix, indented.
 * An empty list renders as `√ no findings`.
 */
export function renderFindingsText(findings: readonly Finding[], options: RenderTextOptions = {}): string {
  if (findings.length === 0) return options.color ? `\u001b[32m√${RESET} no findings` : '√ no findings';
  const sorted = [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  return sorted
    .map((f) => {
      const symbol = options.color ? `${COLOUR[f.severity]}${SYMBOL[f.severity]}${RESET}` : SYMBOL[f.severity];
      const lines = [`${symbol} ${f.code} (${f.severity}): ${f.message}`, `    fix: ${f.remediation}`];
      if (options.verbose) {
        for (const [key, value] of Object.entries(redact(f.evidence)))
          lines.push(`    ${key}: ${JSON.stringify(value)}`);
      }
      return lines.join('\n');
    })
    .join('\n');
}

/**
 * The JSON form of findings: a stable shape for tools, `{ findings: [...], errors, warnings }`; evidence is redacted.
 */
export function findingsToJson(findings: readonly Finding[]): {
  findings: Finding[];
  errors: number;
  warnings: number;
} {
  return {
    findings: findings.map((f) => ({ ...f, evidence: redact(f.evidence) })),
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}

/** Findings as pretty-printed JSON text (see {@link findingsToJson}). */
export function renderFindingsJson(findings: readonly Finding[]): string {
  return JSON.stringify(findingsToJson(findings), null, 2);
}
