// Item 7 and 14 of the hardening issue: a FIFO, device node, socket or directory at cache.path or --report is never
// replaced, never opened in a way that blocks, and is reported naming the path.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dpsCheck } from '../../src/checks/main';
import { CHECKS } from '../../src/checks/registry';
import { readCache, writeCache, type CacheRecord } from '../../src/provision/cache';
import { provisionDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { NotARegularFileError, writeFileAtomic } from '../../src/support/atomic-write';
import { optionsFor, startTestLab } from '../support/provision-lab';

const isRoot = process.getuid?.() === 0;
const temps = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

/** Rejects if `p` has not settled within `ms`: a blocked open() would otherwise hang the test until mocha's timeout. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (blocked?)`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

function mkfifo(dir: string, name: string): string {
  const p = path.join(dir, name);
  execFileSync('mkfifo', ['-m', '600', p]);
  return p;
}

async function socketAt(dir: string): Promise<{ file: string; close(): Promise<void> }> {
  const file = path.join(dir, 'sock');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return { file, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const record: CacheRecord = {
  version: 1,
  provisioningHost: 'lab-dps.azure-devices-provisioning.net',
  idScope: '0ne00000A1B',
  registrationId: 'dev-1',
  assignedHub: 'lab-hub.azure-devices.net',
  deviceId: 'dev-1',
  provisionedAt: new Date(0).toISOString(),
  credential: 'sas:00',
  tls: { protocol: 'TLSv1.2', cipher: 'x' },
  transport: 'mqtt',
};

describe('hardening (fs): special files at a write target are refused, never replaced', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-fs-special-'));
  });

  it('writeFileAtomic refuses a FIFO: it stays a FIFO, the error names the path, no temporary file', () => {
    const fifo = mkfifo(dir, 'target');
    assert.throws(
      () => writeFileAtomic(fifo, 'data'),
      (err: unknown) =>
        err instanceof NotARegularFileError && err.code === 'ERR_NOT_REGULAR_FILE' && err.message.includes(fifo),
    );
    assert.ok(lstatSync(fifo).isFIFO());
    assert.deepEqual(temps(dir), []);
  });

  it('writeFileAtomic refuses a directory and a socket', async () => {
    const sub = path.join(dir, 'sub');
    mkdirSync(sub);
    assert.throws(() => writeFileAtomic(sub, 'data'), /is a directory, not a regular file/);
    assert.ok(lstatSync(sub).isDirectory());
    const sock = await socketAt(dir);
    try {
      assert.throws(() => writeFileAtomic(sock.file, 'data'), /is a socket, not a regular file/);
      assert.ok(lstatSync(sock.file).isSocket());
    } finally {
      await sock.close();
    }
    assert.deepEqual(temps(dir), []);
  });

  it('writeFileAtomic refuses a character device made with mknod (as root; skipped otherwise)', function () {
    if (!isRoot) this.skip();
    const dev = path.join(dir, 'null');
    execFileSync('mknod', ['-m', '666', dev, 'c', '1', '3']);
    assert.throws(() => writeFileAtomic(dev, 'data'), /is a character device, not a regular file: not replaced/);
    assert.ok(lstatSync(dev).isCharacterDevice(), 'the device node is still there');
    assert.deepEqual(temps(dir), []);
  });

  const noNetwork = CHECKS.map((c) => c.id).filter((id) => id !== 'config-well-formed');
  async function reportTo(file: string): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const code = await dpsCheck(
      [
        '--host',
        'x.azure-devices-provisioning.net',
        '--policy',
        'warn',
        '--dont-run',
        noNetwork.join(','),
        '--report',
        file,
      ],
      { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: {} },
    );
    return { code, stderr };
  }

  it('dps-check --report <FIFO> exits 2 naming the path; the FIFO is left as it is', async () => {
    const fifo = mkfifo(dir, 'report.json');
    const { code, stderr } = await reportTo(fifo);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`cannot write --report ${fifo.replace(/[.]/g, '\\.')}: it is a FIFO`));
    assert.ok(lstatSync(fifo).isFIFO());
    assert.deepEqual(temps(dir), []);
  });

  it('dps-check --report <character device> (the /dev/null case, made with mknod as root) never replaces it', async function () {
    if (!isRoot) this.skip();
    const dev = path.join(dir, 'null');
    execFileSync('mknod', ['-m', '666', dev, 'c', '1', '3']);
    const { code, stderr } = await reportTo(dev);
    assert.equal(code, 2);
    assert.match(stderr, /it is a character device, not a regular file, and is left as it is/);
    assert.ok(lstatSync(dev).isCharacterDevice());
  });

  it('writeCache refuses a FIFO at cache.path', async () => {
    const fifo = mkfifo(dir, 'dps.json');
    await assert.rejects(writeCache(fifo, record), /is a FIFO, not a regular file: not replaced/);
    assert.ok(lstatSync(fifo).isFIFO());
  });

  it('readCache of a FIFO returns at once (lstat, never a blocking open) as corrupt, naming the kind', async () => {
    const fifo = mkfifo(dir, 'dps.json');
    const expect = { ...record };
    for (let i = 0; i < 6; i++) {
      // More calls than libuv's 4 threads: a blocking open() would exhaust the pool.
      const read = await within(readCache(fifo, expect), 1000, 'readCache(FIFO)');
      assert.deepEqual(read, { kind: 'corrupt', detail: 'is a FIFO, not a regular file: not read' });
    }
  });
});

describe('hardening (fs): provisionDevice with a FIFO at cache.path finishes, with cache findings', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  it('registers normally well within its timeout: DPS_CACHE_CORRUPT (FIFO) and DPS_CACHE_WRITE_FAILED naming the path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-fs-fifo-cache-'));
    const fifo = mkfifo(dir, 'dps.json');
    const device = await lab.createDevice('fifo-cache', 'symmetric-key');
    const started = Date.now();
    const result = await within(
      provisionDevice(optionsFor(lab, device, { cache: { path: fifo }, timeoutMs: 8000 })),
      6000,
      'provisionDevice',
    );
    assert.ok(Date.now() - started < 5000);
    assert.equal(result.fromCache, false);
    const corrupt = result.findings.find((f) => f.code === 'DPS_CACHE_CORRUPT');
    assert.match(String(corrupt?.evidence.detail), /FIFO/);
    const write = result.findings.find((f) => f.code === 'DPS_CACHE_WRITE_FAILED');
    assert.ok(write, 'the cache write is reported');
    assert.match(String(write.evidence.detail), new RegExp(`${fifo.replace(/[.]/g, '\\.')} is a FIFO`));
    assert.ok(lstatSync(fifo).isFIFO());
  });
});
