// Deliver list, crash safety: kill -9 a child in the middle of cache writes, 100 times. After every kill the cache is
// the old or the new record, whole, mode 0600; the next successful write leaves no temporary file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCache, writeCache, type CacheRecord } from '../../src/provision/cache';

const ROOT = path.join(__dirname, '..', '..');
const KILLS = Number(process.env.KILL9_N ?? 100);
const LANES = 4; // independent cache files written in parallel: 100 kills in a few seconds on two cores

const expect = {
  provisioningHost: 'lab-dps.azure-devices-provisioning.net',
  idScope: '0ne00000A1B',
  registrationId: 'dev-1',
  credential: 'sas:00',
};
const recordOf = (n: number): CacheRecord => ({
  version: 1,
  ...expect,
  assignedHub: `hub-${n}.azure-devices.net`,
  deviceId: `dev-${n}`,
  provisionedAt: new Date(n * 1000).toISOString(),
  tls: { protocol: 'TLSv1.2', cipher: 'TLS_AES_256_GCM_SHA384' },
  transport: 'mqtt',
  // Big enough that a write is more than one page: a torn write would show.
  payload: { pad: 'x'.repeat(20_000 + n) },
});

// The child writes records 1, 2, 3… to the file for ever (the real writeCache), saying "w <n>" before each write.
const childScript = (cacheModule: string): string => `
const { writeCache } = require(${JSON.stringify(cacheModule)});
const recordOf = ${recordOf.toString()};
const expect = ${JSON.stringify(expect)};
(async () => {
  for (let n = Number(process.argv[3]); ; n++) {
    await writeCache(process.argv[2], recordOf(n));
    process.stdout.write('w ' + n + '\\n');
  }
})();
`;

/**
 * The real writeCache as one plain JS file: a child that starts in ~40 ms instead of ~250 ms under tsx keeps 100 kills
 * within a few seconds. esbuild comes with tsx, which runs this suite.
 */
function bundleCacheModule(dir: string): string {
  const outfile = path.join(dir, 'cache.js');
  (require('esbuild') as typeof import('esbuild')).buildSync({
    entryPoints: [path.join(ROOT, 'src/provision/cache.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/**
 * Starts a writer at record `from` and kills it with SIGKILL at a random moment after its first finished write, while
 * it is writing the following ones; resolves the last record it reported finished.
 */
function killMidWrite(file: string, from: number, script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, file, String(from)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let last = from - 1;
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/w (\d+)/g)) last = Number(m[1]);
      if (!killed) {
        killed = true;
        // 0-8 ms into the following writes (about 1 ms each): lands inside open/write/fsync/rename of some record.
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 8);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer ended with ${code ?? signal} before it was killed`));
      else resolve(last);
    });
  });
}

describe('hardening (fs): kill -9 during cache writes, 100 times', function () {
  this.timeout(120_000);

  it('always the old or the new record, whole and 0600; no temporary file after the next successful write', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-fs-kill9-'));
    const script = path.join(dir, 'writer.js');
    writeFileSync(script, childScript(bundleCacheModule(dir)));
    const files = Array.from({ length: LANES }, (_, i) => path.join(dir, `lane-${i}`, 'dps.json'));
    let next = 1;
    for (const f of files) await writeCache(f, recordOf(0));
    let orphansSeen = 0;
    let tornOrWrong = 0;
    await Promise.all(
      files.map(async (file) => {
        let committed = 0; // the newest record known to be wholly written before the last kill
        for (let k = 0; k < KILLS / LANES; k++) {
          const from = next;
          next += 1000;
          const last = await killMidWrite(file, from, script);
          const read = await readCache(file, expect);
          if (read.kind !== 'hit') {
            tornOrWrong++;
            continue;
          }
          const n = Number(read.record.deviceId.slice(4));
          // Old (the committed one, or any finished before the kill) or new (the one being written): never torn.
          // `last + 1` is the one being written when the kill came, if its rename had happened.
          const ok = n === committed || (n >= from && n <= last + 1);
          if (!ok || (read.record.payload as { pad: string }).pad.length !== 20_000 + n) tornOrWrong++;
          assert.equal(statSync(file).mode & 0o777, 0o600);
          committed = n;
          orphansSeen += readdirSync(path.dirname(file)).filter((x) => x.endsWith('.tmp')).length;
        }
        // The next successful call cleans what the killed writers left.
        await writeCache(file, recordOf(next++));
        assert.deepEqual(
          readdirSync(path.dirname(file)).filter((x) => x.endsWith('.tmp')),
          [],
        );
        assert.equal(JSON.parse(readFileSync(file, 'utf8')).version, 1);
      }),
    );
    assert.equal(tornOrWrong, 0, 'a record that is neither the old nor the new one, or torn');
    // The proof that kills landed mid-write (between creating the temporary file and renaming it), not between writes.
    assert.ok(orphansSeen > 0, 'no kill landed inside a write: the test proved nothing');
    console.log(
      `      ${KILLS} kills (${LANES} lanes): 0 torn or foreign records; ${orphansSeen} orphaned temp files seen between kills, 0 after the next write`,
    );
  });
});
