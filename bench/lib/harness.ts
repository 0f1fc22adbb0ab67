// What every benchmark shares: the statistics, the A/B alternation, the entry format and the hand-off to bench/run.ts
// (see the protocol at the top of bench/run.ts). A is always ours, B the baseline a user would write.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/**
 * The programs the baselines run, by the Debian package that has each. bench/run.ts installs the missing ones before
 * any bench enters its network namespace (apt-get needs the network, which a bench inside one has not).
 */
export const BASELINE_TOOLS = { dig: 'bind9-dnsutils', openssl: 'openssl' } as const;

/** True when `tool` is on the PATH. */
export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Summary of one side's samples. */
export interface Stats {
  median: number;
  p95: number;
  min: number;
  max: number;
  n: number;
}

/** A figure compared the same way as the entry's, for scenarios with two targets (gateway: throughput and RSS). */
export interface Comparison {
  unit: string;
  /** What an `also` figure measures when its unit alone does not say (its table row is named by it, else by unit). */
  label?: string;
  a: Stats;
  b: Stats;
  ratio: number;
  target: string;
  met: boolean | null;
}

/** One row of bench/out/latest.json. `met` is null where the target is "report". */
export interface Entry extends Comparison {
  id: string;
  /** Further figures of the same scenario (e.g. peak RSS beside throughput); `met` requires all of them. */
  also?: Comparison[];
  /** Plain facts worth keeping beside the numbers (breakdowns, sizes, what each side ran). */
  note?: string;
}

/** `--quick` (or BENCH_QUICK=1 from bench/run.ts): small sizes, same scenarios, same JSON. */
export const quick = process.argv.includes('--quick') || process.env['BENCH_QUICK'] === '1';

/** Picks the full or the quick size. */
export const size = (full: number, small: number): number => (quick ? small : full);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export function stats(xs: number[]): Stats {
  if (xs.length === 0) throw new Error('no samples');
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median, p95: percentile(s, 95), min: s[0] as number, max: s[s.length - 1] as number, n: s.length };
}

/** `≤ 1.05`: a lower ratio is better; `≥ 1.0`: a higher one is; 'report': no target. */
export type Target = { atMost: number } | { atLeast: number } | 'report';

export function compare(unit: string, a: number[], b: number[], target: Target): Comparison {
  const sa = stats(a);
  const sb = stats(b);
  const ratio = sa.median / sb.median;
  if (target === 'report') return { unit, a: sa, b: sb, ratio, target: 'report', met: null };
  if ('atMost' in target)
    return { unit, a: sa, b: sb, ratio, target: `≤ ${target.atMost}`, met: ratio <= target.atMost };
  return { unit, a: sa, b: sb, ratio, target: `≥ ${target.atLeast}`, met: ratio >= target.atLeast };
}

export function entry(id: string, main: Comparison, extra: { also?: Comparison[]; note?: string } = {}): Entry {
  const met =
    main.met === null && !extra.also?.length ? null : [main, ...(extra.also ?? [])].every((c) => c.met !== false);
  return { id, ...main, met, ...extra };
}

/**
 * Runs `warmup` rounds of each side unmeasured, then `pairs` rounds A B A B … Each call returns its sample (a time,
 * a CPU figure, an RSS): the sides meet the same machine load, so the ratio holds where the absolute figures drift.
 */
export async function alternate<T>(
  pairs: number,
  warmup: number,
  runA: () => Promise<T>,
  runB: () => Promise<T>,
): Promise<{ a: T[]; b: T[] }> {
  for (let i = 0; i < warmup; i++) {
    await runA();
    await runB();
  }
  const a: T[] = [];
  const b: T[] = [];
  for (let i = 0; i < pairs; i++) {
    a.push(await runA());
    b.push(await runB());
  }
  return { a, b };
}

const fmt = (x: number): string =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);

function row(id: string, c: Comparison): string {
  const side = (s: Stats): string => `${fmt(s.median)} (p95 ${fmt(s.p95)}, ${fmt(s.min)}–${fmt(s.max)})`;
  const verdict = c.met === null ? 'report' : c.met ? 'met' : 'NOT met';
  return `| ${id} | ${c.unit} | ${side(c.a)} | ${side(c.b)} | ${c.ratio.toFixed(3)} | ${c.target} | ${verdict} |`;
}

/** The Markdown table bench/RESULTS.md keeps: one row per entry, one more per `also` figure. */
export function table(entries: Entry[]): string {
  const lines = [
    '| id | unit | A ours: median (p95, min–max) | B baseline: median (p95, min–max) | ratio A/B | target | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const e of entries) {
    lines.push(row(e.id, e));
    for (const c of e.also ?? []) lines.push(row(`${e.id} (${c.label ?? c.unit})`, c));
  }
  return lines.join('\n');
}

/** Prints the entries and hands them to bench/run.ts through BENCH_OUT. */
export function publish(entries: Entry[]): void {
  console.log(`\n${table(entries)}`);
  for (const e of entries) if (e.note) console.log(`  ${e.id}: ${e.note}`);
  const out = process.env['BENCH_OUT'];
  if (out) writeFileSync(out, JSON.stringify(entries, null, 2));
}

/** Runs a bench's main, turning a failure into exit 1 with the message (never an unhandled rejection). */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}
