// Item 11 of the hardening issue: the cache trusts only a regular file this user owns and no one else can write; its
// findings never quote the file; stale temporary files of the writer's own naming are cleaned.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provisionDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { readCache, writeCache, type CacheRecord } from '../../src/provision/cache';
import { optionsFor, startTestLab } from '../support/provision-lab';

const isRoot = process.getuid?.() === 0;
const expect = {
  provisioningHost: 'lab-dps.azure-devices-provisioning.net',
  idScope: '0ne00000A1B',
  registrationId: 'dev-1',
  credential: 'sas:00',
};
const record: CacheRecord = {
  version: 1,
  ...expect,
  assignedHub: 'lab-hub.azure-devices.net',
  deviceId: 'dev-1',
  provisionedAt: new Date(0).toISOString(),
  tls: { protocol: 'TLSv1.2', cipher: 'x' },
  transport: 'mqtt',
};
const SECRET = 'Zm9vYmFyYmF6cXV4c2VjcmV0a2V5bWF0ZXJpYWwxMjM0NTY3OA==';

describe('hardening (fs): the cache trusts only a file this user owns and nobody else can write', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-fs-trust-'));
    file = path.join(dir, 'dps.json');
    await writeCache(file, record);
  });

  it('a good record (0600, ours) is a hit', async () => {
    assert.equal((await readCache(file, expect)).kind, 'hit');
  });

  it('a world-writable record is refused (not trusted), whatever it says', async () => {
    chmodSync(file, 0o666);
    assert.deepEqual(await readCache(file, expect), {
      kind: 'untrusted',
      detail: 'writable by every user: not trusted',
    });
  });

  it('a record in a world-writable directory without the sticky bit is refused', async () => {
    chmodSync(dir, 0o777);
    const read = await readCache(file, expect);
    assert.deepEqual(read, { kind: 'untrusted', detail: 'in a directory every user may write to: not trusted' });
    chmodSync(dir, 0o1777); // sticky (like /tmp): others cannot rename or remove our file
    assert.equal((await readCache(file, expect)).kind, 'hit');
  });

  it('a record owned by another user is refused (as root, with chown; skipped otherwise)', async function () {
    if (!isRoot) this.skip();
    chownSync(file, 4242, 4242);
    assert.deepEqual(await readCache(file, expect), {
      kind: 'untrusted',
      detail: `owned by uid 4242, not this process's user (uid 0): not trusted`,
    });
  });

  it('a symlink at cache.path is not followed, and nothing of its target is quoted', async () => {
    const target = path.join(dir, 'elsewhere');
    writeFileSync(target, `${SECRET} not json`, { mode: 0o600 });
    const link = path.join(dir, 'link.json');
    symlinkSync(target, link);
    const read = await readCache(link, expect);
    assert.deepEqual(read, { kind: 'untrusted', detail: 'is a symbolic link: not followed' });
  });

  it('a file that is not JSON: DPS_CACHE_CORRUPT says so by size, never by its first bytes', async () => {
    writeFileSync(file, `${SECRET}{`, { mode: 0o600 });
    const read = await readCache(file, expect);
    assert.equal(read.kind, 'corrupt');
    const detail = read.kind === 'corrupt' ? read.detail : '';
    assert.equal(detail, `not JSON (${SECRET.length + 1} bytes)`);
    assert.ok(!detail.includes(SECRET.slice(0, 6)));
  });

  it('stale temporary files of our naming (dead writer, or this process) are removed by the next write; others stay', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead);
    const stale = [`.dps.json.${dead}.0123456789ab.tmp`, `.dps.json.${process.pid}.ba9876543210.tmp`];
    const live = `.dps.json.${process.ppid}.aaaaaaaaaaaa.tmp`; // a living writer's, fresh: maybe in flight
    const unrelated = ['.other.json.1.0123456789ab.tmp', 'notes.tmp', '.dps.json.x.tmp'];
    for (const n of [...stale, live, ...unrelated]) writeFileSync(path.join(dir, n), 'partial', { mode: 0o600 });
    mkdirSync(path.join(dir, `.dps.json.${dead}.cccccccccccc.tmp`)); // not a regular file: never touched
    await writeCache(file, { ...record, deviceId: 'dev-2' });
    const left = readdirSync(dir).sort();
    for (const n of stale) assert.ok(!left.includes(n), `${n} removed`);
    for (const n of [live, ...unrelated, `.dps.json.${dead}.cccccccccccc.tmp`])
      assert.ok(left.includes(n), `${n} kept`);
  });
});

describe('hardening (fs): provisionDevice replaces an untrusted cache record instead of using it', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  it('a world-writable record naming another hub: not used, DPS_CACHE_UNTRUSTED, registered again, rewritten 0600', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-fs-trust-prov-'));
    const file = path.join(dir, 'dps.json');
    const device = await lab.createDevice('untrusted-cache', 'symmetric-key');
    await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    const planted = {
      ...(JSON.parse(readFileSync(file, 'utf8')) as object),
      assignedHub: 'evil-hub.azure-devices.net',
    };
    writeFileSync(file, JSON.stringify(planted));
    chmodSync(file, 0o666);
    const before = lab.counters.registrations;
    const result = await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    assert.equal(result.fromCache, false);
    assert.equal(result.assignedHub, lab.hub.host);
    assert.equal(lab.counters.registrations, before + 1);
    assert.match(String(result.findings.find((f) => f.code === 'DPS_CACHE_UNTRUSTED')?.evidence.detail), /not trusted/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as CacheRecord).assignedHub, lab.hub.host);
  });
});
