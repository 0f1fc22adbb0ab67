// import: the whole of a fresh `node -e "require(…)"` process, spawn to exit, A and B alternating. A requires
// `dps-private-link` (the root: what a device app loads); B the plain provisioning packages the same flow needs.
// The other entry points (diagnostics, lab, the dps-check bin's --version) are reported beside it.
//
//   npm run bench -- import [--quick]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { alternate, compare, entry, publish, runMain, size, stats } from './lib/harness';

const ROOT = path.join(__dirname, '..');
const PLAIN = [
  'azure-iot-provisioning-device',
  'azure-iot-provisioning-device-mqtt',
  'azure-iot-security-x509',
  'azure-iot-security-symmetric-key',
];

/** Wall time of one `node` process (spawnSync: this process does nothing else meanwhile). */
function processMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { PATH: process.env['PATH'] } });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return performance.now() - t0;
}

const requiring = (mods: string[]): string[] => ['-e', mods.map((m) => `require(${JSON.stringify(m)});`).join('')];

async function main(): Promise<void> {
  const n = size(30, 10);
  const time = (args: string[]) => async (): Promise<number> => processMs(args);
  const root = await alternate(n, 2, time(requiring(['dps-private-link'])), time(requiring(PLAIN)));
  const others: string[] = [];
  for (const [label, args] of [
    ['dps-private-link/diagnostics', requiring(['dps-private-link/diagnostics'])],
    ['dps-private-link/lab', requiring(['dps-private-link/lab'])],
    ['dps-check --version', [path.join(ROOT, 'dist/checks/cli.js'), '--version']],
    ['node -e 0', ['-e', '0']],
  ] as const) {
    const xs = (await alternate(size(10, 4), 1, time([...args]), time(['-e', '0']))).a;
    others.push(`${label} ${stats(xs).median.toFixed(1)} ms`);
  }
  publish([
    entry('import', compare('ms', root.a, root.b, { atMost: 1.1 }), {
      note: `B = ${PLAIN.join(', ')}. Other entry points (medians, whole process): ${others.join('; ')}`,
    }),
  ]);
}

runMain(main);
