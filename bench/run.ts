// Runs every bench/*.bench.ts in turn, each in its own process so one benchmark's heap cannot skew another's.
// Benchmarks talk to the local lab on loopback only, and stop by themselves (bounded iterations).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const only = process.argv.slice(2);
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
// As root, each benchmark runs in a fresh network namespace with only loopback up (like test/run.sh): the lab's fixed
// ports cannot collide with anything on the host, and nothing can leave the machine even by mistake.
const isolated = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;
console.log(
  isolated
    ? 'network: benchmarks run inside a fresh network namespace (loopback only)'
    : 'network: benchmarks run in the host network namespace (loopback addresses only)',
);
let failed = 0;
for (const file of files) {
  console.log(`\n# ${file}`);
  const node = [process.execPath, '--import', 'tsx', '--expose-gc', path.join(__dirname, file)];
  const run = isolated
    ? spawnSync('unshare', ['-n', 'bash', '-c', 'ip link set lo up && exec "$@"', '_', ...node], { stdio: 'inherit' })
    : spawnSync(node[0]!, node.slice(1), { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
if (files.length === 0) console.log('no benchmarks found');
process.exit(failed ? 1 : 0);
