// Runs every bench/*.bench.ts in turn, each in its own process so one benchmark's heap cannot skew another's, then
// gathers what they measured into bench/out/latest.json and prints one table.
//
//   npm run bench [-- [--quick] [name …]]     (names match file names: `npm run bench -- provision gateway`)
//
// Protocol for a bench file (bench/lib/harness.ts implements it; a file may also follow it by hand):
// - It runs as `node --import tsx --expose-gc bench/<name>.bench.ts [--quick]`, with BENCH_QUICK=1 under --quick
//   (sizes that keep the whole quick run within three minutes) and BENCH_OUT=<path of a file it may write>.
// - If it measured anything, it writes to BENCH_OUT a JSON array of entries
//   `{ "id", "unit", "a": {"median","p95","min","max","n"}, "b": {…}, "ratio", "target", "met", "also"?, "note"? }`
//   (A = ours, B = the baseline; ratio = median A / median B; target like "≤ 1.05", "≥ 1.0" or "report";
//   met = true/false, null for "report"). Writing nothing is allowed (a file that only prints).
// - A line `// bench: not-quick` anywhere in the file keeps it out of --quick runs (e.g. a long soak).
// - It exits 0 when it ran to the end (a missed target is data, not a failure), non-zero when it could not measure.
// - It talks to loopback only and stops by itself (bounded iterations).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASELINE_TOOLS, hasTool, table, type Entry } from './lib/harness';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => a !== '--quick');
/** The order; entries with other ids follow in the order their files ran. */
const ORDER = [
  'provision-overhead',
  'reboot-to-telemetry',
  'reboot-to-telemetry-cached',
  'gateway-1000',
  'cpu-per-registration',
  'import',
  'one-device-rss',
  'check-pass',
  'verify-endpoint',
];

const files = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .filter((f) => !quick || !/^\/\/ bench: not-quick$/m.test(readFileSync(path.join(__dirname, f), 'utf8')))
  .sort();
// As root, each benchmark runs in a fresh network namespace with only loopback up (like test/run.sh): the lab's fixed
// ports cannot collide with anything on the host, and nothing can leave the machine even by mistake.
const isolated = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;
console.log(
  isolated
    ? 'network: benchmarks run inside a fresh network namespace (loopback only)'
    : 'network: benchmarks run in the host network namespace (loopback addresses only)',
);
console.log(
  `node ${process.version}, ${os.cpus().length} CPUs, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
// Installed here, before any bench enters its namespace (see BASELINE_TOOLS).
for (const [tool, pkg] of Object.entries(BASELINE_TOOLS)) {
  if (hasTool(tool)) continue;
  if (process.getuid?.() !== 0) {
    console.log(`${tool} not found (apt-get install ${pkg}): the benches that compare against it will say so`);
    continue;
  }
  console.log(`installing ${pkg} for ${tool} ...`);
  const install = (): number | null =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit' }).status;
  // A fresh machine may have no package lists yet: fetch them once, only when the install needs them.
  if (install() !== 0 && spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' }).status === 0) install();
}
const scratch = mkdtempSync(path.join(os.tmpdir(), 'dpl-bench-run-'));
const entries: Entry[] = [];
let failed = 0;
const started = performance.now();
for (const file of files) {
  console.log(`\n# ${file}${quick ? ' (quick)' : ''}`);
  const out = path.join(scratch, `${file}.json`);
  const node = [
    process.execPath,
    '--import',
    'tsx',
    '--expose-gc',
    path.join(__dirname, file),
    ...(quick ? ['--quick'] : []),
  ];
  const env = { ...process.env, BENCH_OUT: out, ...(quick ? { BENCH_QUICK: '1' } : {}) };
  const run = isolated
    ? spawnSync('unshare', ['-n', 'bash', '-c', 'ip link set lo up && exec "$@"', '_', ...node], {
        stdio: 'inherit',
        env,
      })
    : spawnSync(node[0]!, node.slice(1), { stdio: 'inherit', env });
  if (run.status !== 0) failed++;
  if (existsSync(out)) entries.push(...(JSON.parse(readFileSync(out, 'utf8')) as Entry[]));
}
rmSync(scratch, { recursive: true, force: true });
if (files.length === 0) console.log('no benchmarks found');
const rank = (e: Entry): number => (ORDER.includes(e.id) ? ORDER.indexOf(e.id) : ORDER.length);
entries.sort((x, y) => rank(x) - rank(y));
const outDir = path.join(__dirname, 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(entries, null, 2)}\n`);
console.log(
  `\n# all (${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${os.loadavg()[0]!.toFixed(2)})`,
);
// A/B comparisons make the table; single-sided figures (the soak's growth slopes) keep their own lines.
const compared = entries.filter((e) => e.a !== undefined && e.b !== undefined);
console.log(table(compared));
const single = entries.length - compared.length;
if (single) console.log(`(${single} single-sided figures, e.g. the soak's, are in latest.json and printed above)`);
for (const e of entries) if (e.note) console.log(`- ${e.id}: ${e.note}`);
const missing = only.length === 0 ? ORDER.filter((id) => !entries.some((e) => e.id === id)) : [];
if (missing.length) console.log(`not measured: ${missing.join(', ')}`);
console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'latest.json'))}`);
process.exit(failed ? 1 : 0);
