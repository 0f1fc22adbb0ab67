// The hosts file is read once while it stays unchanged (each verification used to read and parse it again: most of a
// verification's CPU after the DNS exchange), and an edit is seen by the very next call.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verifyEndpoint } from '../../src/endpoint';
import { hostsFileAddresses } from '../../src/endpoint/hosts-file';

const HOST = 'mydps.azure-devices-provisioning.net';
const LONG_AGO = new Date(Date.now() - 3_600_000);

describe('hosts file: read once while unchanged, again when edited', () => {
  let tmp: string;
  let reads: string[];
  const restore: (() => void)[] = [];
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dpl-hosts-once-'));
  });
  after(() => rm(tmp, { recursive: true, force: true }));
  // Counts reads by whatever fs entry point the reader uses, so the test does not depend on which it picked.
  beforeEach(() => {
    reads = [];
    const spy = <K extends string>(owner: Record<K, unknown>, key: K): void => {
      const real = owner[key] as (...a: unknown[]) => unknown;
      owner[key] = function (this: unknown, ...args: unknown[]) {
        if (typeof args[0] === 'string' && args[0].startsWith(tmp)) reads.push(args[0]);
        return real.apply(this, args);
      } as never;
      restore.push(() => (owner[key] = real as never));
    };
    spy(fs as unknown as Record<'readFileSync', unknown>, 'readFileSync');
    spy(fs as unknown as Record<'readFile', unknown>, 'readFile');
    spy(fs.promises as unknown as Record<'readFile', unknown>, 'readFile');
  });
  afterEach(() => {
    while (restore.length) restore.pop()?.();
  });

  function writeHosts(file: string, text: string, mtime?: Date): void {
    fs.writeFileSync(file, text);
    if (mtime) fs.utimesSync(file, mtime, mtime);
  }

  it('twenty lookups of an unchanged file read it once', async () => {
    const file = path.join(tmp, 'hosts-unchanged');
    writeHosts(file, `127.0.0.1 localhost\n10.1.2.4 ${HOST}\n`, LONG_AGO);
    for (let i = 0; i < 20; i++) assert.deepEqual(await hostsFileAddresses(HOST, file), ['10.1.2.4']);
    assert.equal(reads.length, 1, `reads: ${reads.length}`);
  });

  it('an edit that keeps the size, seconds after the last one, is seen by the next call', async () => {
    const file = path.join(tmp, 'hosts-same-size');
    writeHosts(file, `10.1.2.4 ${HOST}\n`, LONG_AGO);
    assert.deepEqual(await hostsFileAddresses(HOST, file), ['10.1.2.4']);
    writeHosts(file, `10.1.2.5 ${HOST}\n`, new Date(LONG_AGO.getTime() + 5000));
    assert.deepEqual(await hostsFileAddresses(HOST, file), ['10.1.2.5']);
  });

  it('two quick edits within one timestamp tick are both seen (a fresh mtime is not trusted)', async () => {
    const file = path.join(tmp, 'hosts-racy');
    writeHosts(file, `10.1.2.4 ${HOST}\n`);
    assert.deepEqual(await hostsFileAddresses(HOST, file), ['10.1.2.4']);
    const { mtimeMs } = fs.statSync(file);
    writeHosts(file, `10.1.2.6 ${HOST}\n`);
    // Force the same mtime, as a coarse-timestamp filesystem would give two writes in one tick.
    fs.utimesSync(file, new Date(mtimeMs), new Date(mtimeMs));
    assert.deepEqual(await hostsFileAddresses(HOST, file), ['10.1.2.6']);
  });

  it('a file replaced by another (a new inode, as editors and `mv` do) is read again', async () => {
    const file = path.join(tmp, 'hosts-replaced');
    writeHosts(file, `10.1.2.4 ${HOST}\n`, LONG_AGO);
    assert.deepEqual(await hostsFileAddresses(HOST, file), ['10.1.2.4']);
    const next = `${file}.new`;
    writeHosts(next, `10.1.2.7 ${HOST}\n`, LONG_AGO);
    fs.renameSync(next, file);
    assert.deepEqual(await hostsFileAddresses(HOST, file), ['10.1.2.7']);
  });

  it('a file that disappears has no entries, and one that comes back is read', async () => {
    const file = path.join(tmp, 'hosts-comes-and-goes');
    writeHosts(file, `10.1.2.4 ${HOST}\n`, LONG_AGO);
    assert.deepEqual(await hostsFileAddresses(HOST, file), ['10.1.2.4']);
    fs.rmSync(file);
    assert.deepEqual(await hostsFileAddresses(HOST, file), []);
    writeHosts(file, `10.1.2.4 ${HOST}\n`, LONG_AGO);
    assert.deepEqual(await hostsFileAddresses(HOST, file), ['10.1.2.4']);
  });

  it('verifyEndpoint: an entry added between two calls gives the second DNS_HOSTS_FILE_OVERRIDE', async () => {
    const hostsFile = path.join(tmp, 'hosts-verify');
    writeHosts(hostsFile, '127.0.0.1 localhost\n', LONG_AGO);
    const options = { hostsFile, systemLookup: async () => [{ address: '10.9.9.9', family: 4 as const }] };
    const network = { expectedCidrs: ['10.1.0.0/16'] };
    const first = await verifyEndpoint(HOST, network, options);
    assert.ok(!first.findings.some((f) => f.code === 'DNS_HOSTS_FILE_OVERRIDE'));
    writeHosts(hostsFile, `127.0.0.1 localhost\n10.9.9.9 ${HOST}\n`);
    const second = await verifyEndpoint(HOST, network, options);
    assert.equal(second.findings[0]?.code, 'DNS_HOSTS_FILE_OVERRIDE');
  });
});
