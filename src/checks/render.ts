import { redact } from '../redact';
import { findingToJson, renderFindingsText, wrapLines } from '../findings/render';
import type { Finding } from '../findings/types';
import type { CheckReport, CheckResult, CheckSummary, Section } from './types';

/** Symbols per result, as iotedge check prints them. */
export const SYMBOLS: Record<CheckResult, string> = { ok: '√', warning: '‼', error: '×', skipped: '-' };

const COLOURS: Record<CheckResult, string> = {
  ok: '\x1b[32m',
  warning: '\x1b[33m',
  error: '\x1b[31m',
  skipped: '\x1b[90m',
};
const RESET = '\x1b[0m';

const SECTION_TITLES: Record<Section, string> = {
  configuration: 'Configuration',
  dns: 'DNS',
  network: 'Network',
  tls: 'TLS',
  'device-identity': 'Device identity',
  provisioning: 'Provisioning',
  hub: 'IoT hub',
};

/** Options of the text renderer. */
export interface TextOptions {
  colour: boolean;
  verbose: boolean;
  /** Columns to wrap to (see {@link outputWidth}). Default 80. */
  width?: number;
}

/** The columns text output wraps to: COLUMNS when it is a number, else the terminal's width, else 80. */
export function outputWidth(env: NodeJS.ProcessEnv, stdout: { isTTY?: boolean; columns?: number }): number {
  const fromEnv = /^\d+$/.test(env['COLUMNS'] ?? '') ? Number(env['COLUMNS']) : undefined;
  const columns = fromEnv ?? (stdout.isTTY && stdout.columns ? stdout.columns : 80);
  // Narrower than 40 leaves no room for the text beside the indents: wrap at 40 and let the terminal fold.
  return Math.max(columns, 40);
}

function paint(text: string, result: CheckResult, colour: boolean): string {
  return colour ? `${COLOURS[result]}${text}${RESET}` : text;
}

/** Evidence and cause chains sit here, under their check's line; findings too. */
const UNDER = '      ';

/** A check's findings, nested under its result line: rendered by the findings renderer, in the check's order. */
const FINDINGS_UNDER_CHECK = { indent: UNDER, symbols: false, order: 'given' } as const;

/** One value of the evidence as text: lists joined with commas, nothing as `(none)`. */
function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  return typeof value === 'string' ? value || '""' : String(value);
}

const isScalar = (v: unknown): boolean => v === null || typeof v !== 'object';

/**
 * Evidence as `key: value` pairs a person reads: nested objects become dotted keys (`tls.protocol`), lists of plain
 * values one comma-separated value, lists of objects one group per item (`results[0].address`).
 */
export function evidencePairs(value: unknown, key = ''): [string, string][] {
  if (isScalar(value)) return [[key, scalarText(value)]];
  if (Array.isArray(value)) {
    if (value.length === 0) return [[key, '(none)']];
    if (value.every(isScalar)) return [[key, value.map(scalarText).join(', ')]];
    return value.flatMap((v, i) => evidencePairs(v, `${key}[${i}]`));
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [[key, '(none)']];
  return entries.flatMap(([k, v]) => evidencePairs(v, key ? `${key}.${k}` : k));
}

/** The check's own line: symbol, id, title and detail, wrapped with continuation lines under the id. */
function resultLines(r: CheckReport, options: TextOptions): string[] {
  const text = `${r.id}: ${r.title}${r.detail ? ` — ${r.detail}` : ''}`;
  const lines = wrapLines(text, '  × ', '    ', options.width ?? 80);
  lines[0] = `  ${paint(SYMBOLS[r.result], r.result, options.colour)} ${(lines[0] as string).slice(4)}`;
  return lines;
}

/**
 * One check as text: the result line, then its findings (through the findings renderer), then (verbose) evidence as
 * `key: value` lines and the cause chain; all wrapped to `options.width` and indented under the result line.
 */
export function renderCheck(r: CheckReport, options: TextOptions): string {
  const width = options.width ?? 80;
  const lines = resultLines(r, options);
  if (r.findings.length) lines.push(renderFindingsText(r.findings, { ...FINDINGS_UNDER_CHECK, width }));
  if (options.verbose) {
    // Redacted like --json and --report: verbose output is what gets pasted into tickets.
    if (Object.keys(r.evidence).length) {
      for (const [key, value] of evidencePairs(redact(r.evidence)))
        lines.push(...wrapLines(asThumbprint(value), `${UNDER}${key}: `, `${UNDER}  `, width));
    }
    if (r.errorChain) {
      redact(r.errorChain).forEach((c, i) =>
        lines.push(...wrapLines(c, `${UNDER}${i === 0 ? 'error' : 'caused by'}: `, `${UNDER}  `, width)),
      );
    }
  }
  return lines.join('\n');
}

/**
 * A certificate fingerprint as Node gives it (`3B:C1:…`, 95 characters for SHA-256) in the form the Azure portal and
 * `az` show thumbprints (hex digits only, as dps-certs prints them): 64 characters fit under their key at 80 columns,
 * the colon form fits nowhere. --json and --report keep Node's form.
 */
function asThumbprint(value: string): string {
  return /^(?:[0-9A-F]{2}:){15,}[0-9A-F]{2}$/i.test(value) ? value.replace(/:/g, '').toUpperCase() : value;
}

/** The section heading printed before the first check of a section. */
export function renderSection(section: Section): string {
  return `\n${SECTION_TITLES[section]}\n${'-'.repeat(SECTION_TITLES[section].length)}`;
}

/** `1 error`, `2 errors`, `0 warnings`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** What the run already shows, so the summary only suggests what it does not. */
export interface SummaryOptions {
  verbose?: boolean;
  report?: boolean;
  /** Columns to wrap the advice to. Default 80. */
  width?: number;
}

/**
 * `N ok, 1 warning, N errors, N skipped`, then (when something is not ok) how to see more: --verbose for the evidence,
 * --report for a support bundle, unless the run already has them.
 */
export function renderSummary(s: CheckSummary, options: SummaryOptions = {}): string {
  const line = `${s.ok} ok, ${count(s.warning, 'warning')}, ${count(s.error, 'error')}, ${s.skipped} skipped`;
  if (s.error + s.warning === 0) return line;
  const more = [
    ...(options.verbose ? [] : ['--verbose for the evidence behind each line']),
    ...(options.report ? [] : ['--report FILE for a support bundle to attach to a ticket']),
  ];
  if (!more.length) return line;
  return [line, ...wrapLines(`Run again with ${more.join(', or ')}.`, '', '', options.width ?? 80)].join('\n');
}

/** The --json document. */
export interface JsonDocument {
  version: string;
  checks: {
    id: string;
    title: string;
    section: Section;
    result: CheckResult;
    findings: Finding[];
    evidence: Record<string, unknown>;
    detail?: string;
    durationMs: number;
  }[];
  summary: CheckSummary;
}

/**
 * Builds the --json document, redacted: secret fields and shapes, and every occurrence of `secrets` (the known key and
 * passphrase, wherever they were pasted).
 */
export function toJsonDocument(
  version: string,
  reports: readonly CheckReport[],
  summary: CheckSummary,
  secrets: readonly string[] = [],
): JsonDocument {
  // Redacted here, so --json on a terminal or in a ticket is as safe as the --report bundle.
  return redact(
    {
      version,
      checks: reports.map((r) => ({
        id: r.id,
        title: r.title,
        section: r.section,
        result: r.result,
        findings: r.findings.map(findingToJson),
        evidence: r.errorChain ? { ...r.evidence, errorChain: r.errorChain } : r.evidence,
        ...(r.detail !== undefined ? { detail: r.detail } : {}),
        durationMs: r.durationMs,
      })),
      summary,
    },
    { secrets },
  );
}
