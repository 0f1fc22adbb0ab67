import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeCache } from '../src/provision/cache';
import { writeFileAtomic } from '../src/support/atomic-write';

const temps = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

describe('writeFileAtomic replaces a file through a temporary one, and never leaves the temporary file behind', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atomic-write-'));

  it('writes the content with mode 0600 by default, replacing what was there', () => {
    const file = path.join(dir, 'record.json');
    writeFileSync(file, 'old', { mode: 0o644 });
    writeFileAtomic(file, '{"new":true}\n');
    assert.equal(readFileSync(file, 'utf8'), '{"new":true}\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(temps(dir), []);
  });

  it('creates the file with the mode asked for', () => {
    const file = path.join(dir, 'shared.txt');
    writeFileAtomic(file, Buffer.from('bytes'), { mode: 0o640 });
    assert.equal(readFileSync(file, 'utf8'), 'bytes');
    assert.equal(statSync(file).mode & 0o777, 0o640 & ~process.umask());
  });

  it('a failing rename (the target is a non-empty directory) throws the fs error and leaves no temporary file', () => {
    const sub = mkdtempSync(path.join(dir, 'rename-'));
    const target = path.join(sub, 'target');
    mkdirSync(target);
    writeFileSync(path.join(target, 'inside'), 'x');
    assert.throws(
      () => writeFileAtomic(target, 'data'),
      (err: NodeJS.ErrnoException) => ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(err.code ?? ''),
    );
    assert.deepEqual(readdirSync(sub), ['target']);
  });

  it('a failing write (data the file system cannot take) throws and leaves no temporary file', () => {
    const sub = mkdtempSync(path.join(dir, 'write-'));
    // Not string or bytes: open succeeds, then the write throws, the path between creating and renaming the temp.
    assert.throws(() => writeFileAtomic(path.join(sub, 'f'), 42 as unknown as string), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
    assert.deepEqual(readdirSync(sub), []);
  });

  it('an unwritable directory throws the open error and leaves no temporary file', () => {
    // Root ignores permission bits, so as root (CI) the unwritable directory is /proc, where no file can be created.
    const root = process.getuid?.() === 0;
    const sub = root ? '/proc' : mkdtempSync(path.join(dir, 'locked-'));
    if (!root) chmodSync(sub, 0o500);
    try {
      assert.throws(
        () => writeFileAtomic(path.join(sub, 'dps-atomic-write-test.json'), 'data'),
        (err: NodeJS.ErrnoException) => ['EACCES', 'EPERM', 'EROFS', 'ENOENT'].includes(err.code ?? ''),
      );
      assert.deepEqual(
        readdirSync(sub).filter((n) => n.startsWith('.dps-atomic-write-test')),
        [],
      );
    } finally {
      if (!root) chmodSync(sub, 0o700);
    }
  });

  it('a missing directory is the caller’s error (ENOENT), not a half-written file', () => {
    assert.throws(() => writeFileAtomic(path.join(dir, 'no', 'such', 'file'), 'x'), { code: 'ENOENT' });
  });

  it('the provisioning cache writes through it: a failed cache write leaves no temporary file either', async () => {
    const sub = mkdtempSync(path.join(dir, 'cache-'));
    const file = path.join(sub, 'dps-cache.json');
    mkdirSync(file);
    writeFileSync(path.join(file, 'inside'), 'x');
    await assert.rejects(
      writeCache(file, {
        version: 1,
        provisioningHost: 'lab-dps.azure-devices-provisioning.net',
        idScope: '0ne00000000',
        registrationId: 'dev-1',
        assignedHub: 'lab-hub.azure-devices.net',
        deviceId: 'dev-1',
        provisionedAt: new Date().toISOString(),
        credential: 'sas:00',
        tls: { protocol: 'TLSv1.2', cipher: 'x' },
        transport: 'mqtt',
      }),
      (err: NodeJS.ErrnoException) => ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(err.code ?? ''),
    );
    assert.deepEqual(readdirSync(sub), ['dps-cache.json']);
  });
});
