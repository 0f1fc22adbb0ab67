// A fresh app with the packed tarball installed into it, as a user's `npm install ./dps-private-link-x.y.z.tgz`
// does. Offline: the app's node_modules is seeded with this repo's production dependencies (hard links), so npm finds
// every dependency already installed and fetches nothing; the package itself comes only from the tarball.
// Built once per test process and shared by the tests that need it (test/package, test/samples).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = path.resolve(__dirname, '../..');

/** What `npm pack --json` reports about the tarball. */
export interface PackInfo {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number; mode: number }[];
}

export interface PackedApp {
  /** The app folder (mode 755, so an unprivileged user can run from it). */
  dir: string;
  tarball: string;
  pack: PackInfo;
  /** The installed package, `<dir>/node_modules/dps-private-link`. */
  pkgDir: string;
  /** `<dir>/node_modules/.bin/<name>`. */
  bin(name: string): string;
}

/** The environment for child npm/node processes: without the npm_* variables `npm test` sets for its scripts. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

let once: Promise<PackedApp> | undefined;

/** Packs and installs once per process; later calls get the same app. */
export function packedApp(): Promise<PackedApp> {
  once ??= build();
  return once;
}

async function build(): Promise<PackedApp> {
  if (!existsSync(path.join(ROOT, 'dist', 'index.js')))
    throw new Error('dist/index.js is missing: run `npm run build` (npm test does) first');
  const base = mkdtempSync(path.join(os.tmpdir(), 'dpl-packed-'));
  chmodSync(base, 0o755);
  process.once('exit', () => rmSync(base, { recursive: true, force: true }));
  const env = cleanEnv({ npm_config_update_notifier: 'false' });
  // --ignore-scripts: dist/ is already built (npm test builds first); prepare would rebuild it under our feet.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', base], {
    cwd: ROOT,
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const pack = (JSON.parse(stdout) as PackInfo[])[0]!;
  const tarball = path.join(base, pack.filename);
  const dir = path.join(base, 'app');
  mkdirSync(path.join(dir, 'node_modules'), { recursive: true, mode: 0o755 });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }));
  seedDependencies(path.join(dir, 'node_modules'));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], {
    cwd: dir,
    env,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stderr?: string }) => {
    throw new Error(`npm install of the tarball failed:\n${err.stderr ?? String(err)}`);
  });
  const pkgDir = path.join(dir, 'node_modules', 'dps-private-link');
  return { dir, tarball, pack, pkgDir, bin: (name) => path.join(dir, 'node_modules', '.bin', name) };
}

/** Hard-links (or copies) this repo's installed production dependencies, per package-lock.json, into `target`. */
function seedDependencies(target: string): void {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  const byDestination = new Map<string, string[]>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    // Top-level packages only: nested node_modules come along inside their parent.
    if (!key.startsWith('node_modules/') || key.slice('node_modules/'.length).includes('node_modules/')) continue;
    if (entry.dev || entry.devOptional) continue;
    const name = key.slice('node_modules/'.length);
    const from = path.join(ROOT, key);
    if (!existsSync(from)) continue; // an optional dependency for another platform
    const into = path.dirname(path.join(target, name)); // node_modules or node_modules/@scope
    byDestination.set(into, [...(byDestination.get(into) ?? []), from]);
  }
  for (const [into, sources] of byDestination) {
    mkdirSync(into, { recursive: true });
    try {
      execFileSync('cp', ['-al', ...sources, into], { stdio: 'pipe' }); // hard links: instant, no disk
    } catch {
      execFileSync('cp', ['-a', ...sources, into], { stdio: 'pipe' }); // another filesystem: copy
    }
  }
}
