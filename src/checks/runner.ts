import type { Finding } from '../findings/types';
import type { Check, CheckContext, CheckOutcome, CheckReport, CheckResult, CheckSummary } from './types';

/** Options of {@link runChecks}. */
export interface RunChecksOptions {
  /** Check ids not to run; they and their dependents are reported as skipped. */
  dontRun?: readonly string[];
  /**
   * Checks that cannot run, by id, with the error that says why (an unusable input found at the door): each is
   * reported as `error` with that one-line reason and its cause chain, without running; the others still run.
   */
  cannotRun?: ReadonlyMap<string, Error>;
  /** Called before each check starts (progress output), with its title for this run (the port it uses). */
  onStart?: (check: Check, title: string) => void;
  /**
   * What each report becomes before it is reported and returned (dps-check: findings in the words of its
   * interface). Default: as the check made it.
   */
  present?: (report: CheckReport) => CheckReport;
  /** Called as soon as a check finished (or was skipped), before it is reported. */
  onFinish?: (check: Check, report: CheckReport) => void;
  /** Called for each check's report, in registry order (so a report may wait for slower checks before it). */
  onResult?: (report: CheckReport) => void;
}

/** The result the worst finding calls for: error, warning, or (none, or only info) ok. */
export function worstOf(findings: readonly Finding[]): CheckResult {
  if (findings.some((f) => f.severity === 'error')) return 'error';
  if (findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'ok';
}

function chainOf(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let i = 0; cur !== undefined && cur !== null && i < 8; i++) {
    const e = cur as { code?: unknown; message?: unknown; cause?: unknown };
    out.push(
      `${typeof e.code === 'string' ? `${e.code}: ` : ''}${typeof e.message === 'string' ? e.message : String(cur)}`,
    );
    cur = e.cause;
  }
  return out;
}

/** The ids a check waits for: its declared prerequisites, or (none declared) every earlier check. */
function waitsFor(checks: readonly Check[], index: number): string[] {
  const check = checks[index] as Check;
  if (check.after === undefined) return checks.slice(0, index).map((c) => c.id);
  return [...(check.dependsOn ?? []), ...check.after];
}

type ReportBase = Pick<CheckReport, 'id' | 'title' | 'section'>;

/** The `errorChain` of a check that said `error` but gave no finding: a bug in the check, reported as one. */
export function findinglessErrorChain(id: string): string[] {
  return [`check bug: ${id} reported an error without a finding (every failing check must say which one)`];
}

function skipped(base: ReportBase, detail: string, evidence: CheckReport['evidence'] = {}): CheckReport {
  return { ...base, result: 'skipped', findings: [], evidence, detail, durationMs: 0 };
}

/** What a check's outcome becomes. An error without a finding is kept an error, and marked as the check's bug. */
function fromOutcome(base: ReportBase, out: CheckOutcome): CheckReport {
  const findings = out.findings ?? [];
  const report: CheckReport = {
    ...base,
    result: out.result ?? worstOf(findings),
    findings,
    evidence: out.evidence ?? {},
    durationMs: 0,
  };
  if (out.detail !== undefined) report.detail = out.detail;
  if (report.result === 'error' && findings.length === 0) report.errorChain = findinglessErrorChain(base.id);
  return report;
}

/** A throw: an error result with the findings the error carries and its cause chain (for --verbose). */
function fromThrow(base: ReportBase, err: unknown): CheckReport {
  const chain = chainOf(err);
  const findings = (err as { findings?: Finding[] }).findings;
  return {
    ...base,
    result: 'error',
    findings: Array.isArray(findings) ? findings : [],
    evidence: {},
    detail: chain[0] ?? 'failed',
    errorChain: chain,
    durationMs: 0,
  };
}

/** A check that cannot run because of an unusable input: an error with the input's one-line reason. */
function fromInputProblem(base: ReportBase, err: Error): CheckReport {
  return { ...fromThrow(base, err), detail: err.message.replace(/\s*\n\s*/g, ' ') };
}

/**
 * A check that skipped itself for want of what a check in its `after` finds, when that one was not run: says so,
 * rather than the check's own guess (e.g. "did not resolve the name" after --dont-run dps-dns).
 */
function explainNotRun(
  report: CheckReport,
  check: Check,
  notRun: ReadonlySet<string>,
  reason: (id: string) => string,
): CheckReport {
  const missing = report.result === 'skipped' ? check.after?.find((id) => notRun.has(id)) : undefined;
  return missing === undefined ? report : { ...report, detail: `not run: ${reason(missing)}` };
}

async function runGuarded(check: Check, ctx: CheckContext, base: ReportBase): Promise<CheckReport> {
  const started = performance.now();
  let report: CheckReport;
  try {
    report = fromOutcome(base, await check.run(ctx));
  } catch (err) {
    report = fromThrow(base, err);
  }
  report.durationMs = Math.round((performance.now() - started) * 10) / 10;
  return report;
}

/**
 * Runs checks, each as soon as what it waits for has finished (see {@link Check.after}; without it, strictly in
 * order), and reports them in the given order. A check whose dependency did not pass is skipped with the reason; any
 * throw becomes an `error` result with the cause chain, so one bug never stops the run. Every `error` report carries
 * its findings, or an `errorChain` saying why it has none: the check threw, or failed without a finding (a check bug).
 */
export async function runChecks(
  checks: readonly Check[],
  ctx: CheckContext,
  options: RunChecksOptions = {},
): Promise<CheckReport[]> {
  const dontRun = new Set(options.dontRun ?? []);
  const results = new Map<string, CheckResult>();
  const finished = new Map<string, Promise<void>>();
  const reports: (CheckReport | undefined)[] = new Array(checks.length);
  let reported = 0;
  // Output stays in registry order whatever finishes first: a report waits for the ones before it.
  const flush = (): void => {
    for (let r = reports[reported]; r !== undefined; r = reports[reported]) {
      reported++;
      options.onResult?.(r);
    }
  };
  // Excluded by --dont-run, or skipped for want of one that was: what depends on these says "not run".
  const notRun = new Set<string>();
  const notRunReason = (id: string): string =>
    dontRun.has(id) ? `${id} was excluded by --dont-run` : `${id} was not run`;
  const reportFor = (check: Check): Promise<CheckReport> | CheckReport => {
    const base = { id: check.id, title: check.titleFor?.(ctx) ?? check.title, section: check.section };
    if (dontRun.has(check.id)) return skipped(base, 'excluded by --dont-run');
    const problem = options.cannotRun?.get(check.id);
    if (problem) return fromInputProblem(base, problem);
    const blocker = (check.dependsOn ?? []).find((d) => results.get(d) !== 'ok' && results.get(d) !== 'warning');
    if (blocker !== undefined) {
      if (notRun.has(blocker)) return skipped(base, `not run: ${notRunReason(blocker)}`, { blockedBy: blocker });
      const r = results.get(blocker) ?? 'not run';
      return skipped(base, `skipped: ${blocker} was ${r}`, { blockedBy: blocker });
    }
    options.onStart?.(check, base.title);
    return runGuarded(check, ctx, base).then((report) => explainNotRun(report, check, notRun, notRunReason));
  };
  const markNotRun = (check: Check, report: CheckReport): void => {
    if (dontRun.has(check.id) || report.detail?.startsWith('not run: ')) notRun.add(check.id);
  };
  const runOne = async (check: Check, index: number): Promise<void> => {
    await Promise.all(waitsFor(checks, index).map((id) => finished.get(id) ?? Promise.resolve()));
    const made = await reportFor(check);
    const report = options.present ? options.present(made) : made;
    markNotRun(check, report);
    options.onFinish?.(check, report);
    results.set(check.id, report.result);
    reports[index] = report;
    flush();
  };
  checks.forEach((check, index) => finished.set(check.id, runOne(check, index)));
  await Promise.all(finished.values());
  return reports as CheckReport[];
}

/** Counts each result. */
export function summarize(reports: readonly CheckReport[]): CheckSummary {
  const s: CheckSummary = { ok: 0, warning: 0, error: 0, skipped: 0 };
  for (const r of reports) s[r.result]++;
  return s;
}

/** Exit status: 1 on any error (or warning with warningsAsErrors), else 0. Bad usage (2) never gets here. */
export function exitCodeOf(summary: CheckSummary, warningsAsErrors = false): 0 | 1 {
  return summary.error > 0 || (warningsAsErrors && summary.warning > 0) ? 1 : 0;
}
