// The dps-check bin runs its bundled program with a V8 code cache written at build time. The cache may only ever make
// a run faster: missing, written for another program text (even one of the same length, which V8 alone would accept)
// or for another Node, or damaged, the program runs from source and does exactly what its text says.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { codeCacheFile } from '../../src/checks/code-cache';
import { tempDir } from './fixtures';

const CODE_CACHE = path.join(__dirname, '../../src/checks/code-cache.ts');

/** A program that prints its argv and what `require` and `__dirname` give it, as the bundle would use them. */
const program = (word: string): string =>
  `#!/usr/bin/env node\n` +
  `const { join } = require('node:path');\n` +
  `const pkg = require(join(__dirname, 'pkg.json'));\n` +
  `process.stdout.write(JSON.stringify({ word: '${word}', argv: process.argv.slice(2), pkg: pkg.name, file: __filename }));\n`;

/** Runs `fn(code-cache, file, ...args)` in a child process, as the bin and the build step do. */
function child(fn: 'runProgram' | 'writeCodeCache', file: string, args: string[] = []): { out: string; err: string } {
  const script =
    fn === 'runProgram'
      ? `process.argv = [process.argv[0], 'bin', 'a', 'b']; process.stderr.write(require(${JSON.stringify(CODE_CACHE)}).runProgram(${JSON.stringify(file)}))`
      : `require(${JSON.stringify(CODE_CACHE)}).writeCodeCache(${JSON.stringify(file)}, ${JSON.stringify(args)})`;
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { out: r.stdout, err: r.stderr };
}

describe('dps-check code cache', function () {
  this.timeout(60_000);
  const dir = tempDir('dps-check-code-cache-');
  const file = path.join(dir, 'prog.js');
  writeFileSync(path.join(dir, 'pkg.json'), JSON.stringify({ name: 'the-package' }));

  beforeEach(() => {
    writeFileSync(file, program('first'));
    child('writeCodeCache', file, ['--list']);
  });

  it('the build step writes a cache for the program, and a run uses it', () => {
    assert.ok(existsSync(codeCacheFile(file)));
    const r = child('runProgram', file);
    assert.equal(r.err, 'used');
    assert.deepEqual(JSON.parse(r.out), { word: 'first', argv: ['a', 'b'], pkg: 'the-package', file });
  });

  it('the build step discards the program output of its warm-up run', () => {
    writeFileSync(file, program('quiet'));
    assert.equal(child('writeCodeCache', file, ['--list']).out, '');
  });

  it('a program edited after the cache was written (same length) runs its new text, not the cached one', () => {
    const edited = program('other');
    assert.equal(edited.length, program('first').length);
    writeFileSync(file, edited);
    const r = child('runProgram', file);
    assert.equal(r.err, 'stale');
    assert.equal((JSON.parse(r.out) as { word: string }).word, 'other');
  });

  it('runs from source without a cache file', () => {
    writeFileSync(file, program('alone'));
    const bare = path.join(dir, 'bare.js');
    copyFileSync(file, bare);
    const r = child('runProgram', bare);
    assert.equal(r.err, 'none');
    assert.equal((JSON.parse(r.out) as { word: string }).word, 'alone');
  });

  it('runs from source when the cache is for another Node, or its data is damaged', () => {
    const cache = readFileSync(codeCacheFile(file));
    const header = cache.subarray(0, cache.indexOf(10) + 1);
    writeFileSync(codeCacheFile(file), Buffer.concat([Buffer.from('dps-check-code-cache-v1 0000\n'), cache]));
    assert.equal(child('runProgram', file).err, 'stale');
    // A valid header over data V8 cannot use (e.g. cut short): V8 refuses it and compiles from source.
    writeFileSync(codeCacheFile(file), Buffer.concat([header, Buffer.alloc(64, 7)]));
    const r = child('runProgram', file);
    assert.equal(r.err, 'rejected');
    assert.equal((JSON.parse(r.out) as { word: string }).word, 'first');
  });

  it('the built bin runs --list with its cache, without it, and with a damaged one', function () {
    const built = path.join(__dirname, '../../dist/checks');
    if (!existsSync(codeCacheFile(path.join(built, 'dps-check.js')))) this.skip(); // npm test builds first
    const copy = path.join(dir, 'installed');
    mkdirSync(path.join(copy, 'dist/checks'), { recursive: true });
    copyFileSync(path.join(__dirname, '../../package.json'), path.join(copy, 'package.json'));
    for (const f of ['cli.js', 'dps-check.js', 'dps-check.js.cache'])
      copyFileSync(path.join(built, f), path.join(copy, 'dist/checks', f));
    const bin = path.join(copy, 'dist/checks/cli.js');
    const list = (): string => execFileSync(process.execPath, [bin, '--list'], { encoding: 'utf8' });
    const expected = list();
    assert.match(expected, /^config-well-formed /);
    writeFileSync(path.join(copy, 'dist/checks/dps-check.js.cache'), Buffer.alloc(1000, 1));
    assert.equal(list(), expected);
    copyFileSync(path.join(built, 'dps-check.js'), path.join(copy, 'dist/checks/dps-check.js.cache'));
    assert.equal(list(), expected);
  });
});
