import { redact } from '../redact';
import { findingToJson, renderFindingsText } from '../findings/render';
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
}

function paint(text: string, result: CheckResult, colour: boolean): string {
  return colour ? `${COLOURS[result]}${text}${RESET}` : text;
}

/** A check's findings, nested under its result line: rendered by the findings renderer, in the check's order. */
const FINDINGS_UNDER_CHECK = { indent: '      ', symbols: false, order: 'given' } as const;

/**
 * One check as text: the result line, then its findings (through the findings renderer), then (verbose) evidence and
 * cause chain.
 */
export function renderCheck(r: CheckReport, options: TextOptions): string {
  const lines = [
    `  ${paint(SYMBOLS[r.result], r.result, options.colour)} ${r.id}: ${r.title}${r.detail ? ` — ${r.detail}` : ''}`,
  ];
  if (r.findings.length) lines.push(renderFindingsText(r.findings, FINDINGS_UNDER_CHECK));
  if (options.verbose) {
    // Redacted like --json and --report: verbose output is what gets pasted into tickets.
    if (Object.keys(r.evidence).length) {
      lines.push(
        ...JSON.stringify(redact(r.evidence), null, 2)
          .split('\n')
          .map((l) => `      ${l}`),
      );
    }
    if (r.errorChain)
      redact(r.errorChain).forEach((c, i) => lines.push(`      ${i === 0 ? 'error' : 'caused by'}: ${c}`));
  }
  return lines.join('\n');
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
  return more.length ? `${line}\nRun again with ${more.join(', or ')}.` : line;
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
