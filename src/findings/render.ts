import { redact } from '../redact';
import { checkFindings, InvalidFindingInputError } from './finding';
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
  /**
   * Wrap each line to this many columns, continuation lines indented under their start (a serial console has 80).
   * Default: no wrapping.
   */
  width?: number;
}

/**
 * `text` as lines of at most `width` columns (when given), broken at spaces: the first starts with `first`, the
 * others with `rest`. A word longer than the room (a URL, a path) stays whole on its own line.
 */
export function wrapLines(text: string, first: string, rest: string, width?: number): string[] {
  if (width === undefined) return [`${first}${text}`];
  const lines: string[] = [];
  let prefix = first;
  let line = '';
  for (const word of text.split(/ +/)) {
    if (line && prefix.length + line.length + 1 + word.length > width) {
      lines.push(`${prefix}${line}`);
      prefix = rest;
      line = word;
    } else if (!line && prefix !== rest && prefix.length + word.length > width && rest.length + word.length <= width) {
      // `key: <a long name>`: the name goes whole under its key rather than past the edge.
      lines.push(prefix.trimEnd());
      prefix = rest;
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(`${prefix}${line}`);
  return lines;
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
  const width = options.width;
  // Wrapped without the colour codes, which take no columns; the symbol is put back in colour afterwards.
  const head = wrapLines(`${f.code} (${f.severity}): ${f.message}`, `${indent}${symbols ? '× ' : ''}`, inner, width);
  if (symbols) head[0] = `${indent}${symbol} ${(head[0] as string).slice(indent.length + 2)}`;
  const lines = [...head, ...wrapLines(f.remediation, `${inner}fix: `, `${inner}     `, width)];
  // A link cannot break: where it does not fit after the label it goes whole on the next line.
  if (f.link) lines.push(...wrapLines(f.link, `${inner}docs: `, `${inner}  `, width));
  if (options.verbose) {
    for (const [key, value] of Object.entries(redact(f.evidence)))
      lines.push(...wrapLines(JSON.stringify(value), `${inner}${key}: `, `${inner}  `, width));
  }
  return lines;
}

/**
 * Findings as human text, errors first (unless `order: 'given'`): one headline per finding (`× CODE: message`), then
 * the fix, indented. An empty list renders as `√ no findings`. The one text renderer of findings: dps-check's
 * report nests its output under each check.
 */
export function renderFindingsText(findings: readonly Finding[], options: RenderTextOptions = {}): string {
  return guarded(() => renderText(checkFindings(findings), options && typeof options === 'object' ? options : {}));
}

/**
 * Runs a renderer on checked findings; a value inside the evidence that cannot be shown (a getter that throws…) is
 * reported as our error, never as a TypeError from deep inside.
 */
function guarded<T>(render: () => T): T {
  try {
    return render();
  } catch (err) {
    if (err instanceof InvalidFindingInputError) throw err;
    throw new InvalidFindingInputError(
      'findings',
      `cannot be rendered (${(err as Error)?.name ?? 'error'})`,
      'Pass findings whose evidence is plain data (strings, numbers, arrays, objects).',
    );
  }
}

function renderText(findings: readonly Finding[], options: RenderTextOptions): string {
  if (findings.length === 0) return options.color ? `\u001b[32m√${RESET} no findings` : '√ no findings';
  const sorted =
    options.order === 'given' ? findings : [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  return sorted.map((f) => findingLines(f, options).join('\n')).join('\n');
}

/** One finding in its JSON form: as built, with its evidence redacted. @throws InvalidOptionError-coded on garbage. */
export function findingToJson(f: Finding): Finding {
  return guarded(() => {
    checkFindings([f], 'finding');
    return { ...f, evidence: redact(f.evidence) };
  });
}

/**
 * The JSON form of findings: a stable shape for tools, `{ findings: [...], errors, warnings }`; evidence is redacted.
 */
export function findingsToJson(findings: readonly Finding[]): {
  findings: Finding[];
  errors: number;
  warnings: number;
} {
  const checked = checkFindings(findings);
  return {
    findings: checked.map(findingToJson),
    errors: checked.filter((f) => f.severity === 'error').length,
    warnings: checked.filter((f) => f.severity === 'warning').length,
  };
}

/** Findings as pretty-printed JSON text (see {@link findingsToJson}). */
export function renderFindingsJson(findings: readonly Finding[]): string {
  return guarded(() => JSON.stringify(findingsToJson(findings), null, 2));
}
