import { redact } from '../redact';
import type { Finding, Severity } from './types';

/** Options of {@link renderFindingsText}. */
export interface RenderTextOptions {
  /** ANSI colours. Default false: the caller turns it on only for a TTY. */
  color?: boolean;
  /** Also print each finding's evidence. Default false. */
  verbose?: boolean;
  /** Put before every line, to nest the findings under something else (dps-check: under its check). Default ''. */
  indent?: string;
  /** Start each headline with the severity symbol (× ‼ i). Default true. */
  symbols?: boolean;
  /** `severity` (default): errors first, then warnings, then info. `given`: the order the findings came in. */
  order?: 'severity' | 'given';
}

const SYMBOL: Record<Severity, string> = { error: '×', warning: '‼', info: 'i' };
const COLOUR: Record<Severity, string> = { error: '\u001b[31m', warning: '\u001b[33m', info: '\u001b[36m' };
const RESET = '\u001b[0m';
const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** One finding as text lines: the headline (`× CODE (severity): message`), the fix, then (verbose) its evidence. */
function findingLines(f: Finding, options: RenderTextOptions): string[] {
  const indent = options.indent ?? '';
  const symbols = options.symbols ?? true;
  // Continuation lines start two columns past the code.
  const inner = `${indent}${symbols ? '    ' : '  '}`;
  const symbol = options.color ? `${COLOUR[f.severity]}${SYMBOL[f.severity]}${RESET}` : SYMBOL[f.severity];
  const lines = [`${indent}${symbols ? `${symbol} ` : ''}${f.code} (${f.severity}): ${f.message}`];
  lines.push(`${inner}fix: ${f.remediation}`);
  if (options.verbose) {
    for (const [key, value] of Object.entries(redact(f.evidence)))
      lines.push(`${inner}${key}: ${JSON.stringify(value)}`);
  }
  return lines;
}

/**
 * Findings as human text, errors first (unless `order: 'given'`): one headline per finding (`× CODE: message`), then
 * the fix, indented. An empty list renders as `√ no findings`. The one text renderer of findings: dps-check's
 * report nests its output under each check.
 */
export function renderFindingsText(findings: readonly Finding[], options: RenderTextOptions = {}): string {
  if (findings.length === 0) return options.color ? `\u001b[32m√${RESET} no findings` : '√ no findings';
  const sorted =
    options.order === 'given' ? findings : [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  return sorted.map((f) => findingLines(f, options).join('\n')).join('\n');
}

/** One finding in its JSON form: as built, with its evidence redacted. */
export function findingToJson(f: Finding): Finding {
  return { ...f, evidence: redact(f.evidence) };
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
    findings: findings.map(findingToJson),
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}

/** Findings as pretty-printed JSON text (see {@link findingsToJson}). */
export function renderFindingsJson(findings: readonly Finding[]): string {
  return JSON.stringify(findingsToJson(findings), null, 2);
}
