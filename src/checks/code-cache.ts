// dps-check runs as a short process, so compiling its bundled program is a large share of each run: a V8 code cache
// written beside the bundle at build time lets Node skip most of that work. The cache is only an accelerator: missing,
// unreadable, written for another program text or another Node build, or refused by V8, the program is compiled from
// source as it would be without one.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** How a run used the cache: `used` (V8 accepted it), or why it compiled from source. */
export type CodeCacheUse = 'used' | 'none' | 'stale' | 'rejected';

/** The first line of a cache file; the tag after it names what the data was made from. */
const MAGIC = 'dps-check-code-cache-v1';

/** The cache file of a program: beside it, so it ships and is removed with it. */
export function codeCacheFile(program: string): string {
  return `${program}.cache`;
}

/**
 * What a cache is valid for: this exact program text and this Node build. V8 itself compares only the source's
 * length, so an edited program of the same length would run stale code without this tag.
 */
function tagOf(source: Buffer): string {
  return createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${process.versions.v8}\0`)
    .update(source)
    .digest('hex');
}

/** The program's bytes (hashed as read: cheaper than hashing the decoded text) and its text. */
interface Program {
  bytes: Buffer;
  /** As a CommonJS function body: a shebang would not parse inside the wrapper (same length: lines stay). */
  text: string;
}

function readProgram(program: string): Program {
  const bytes = readFileSync(program);
  const text = bytes.toString('utf8');
  return { bytes, text: text.startsWith('#!') ? `//${text.slice(2)}` : text };
}

/** The cached data for `source`, or why there is none to offer V8. */
function readCache(program: string, source: Program): Buffer | 'none' | 'stale' {
  let file: Buffer;
  try {
    file = readFileSync(codeCacheFile(program));
  } catch {
    return 'none';
  }
  const header = `${MAGIC} ${tagOf(source.bytes)}\n`;
  const length = Buffer.byteLength(header);
  return file.subarray(0, length).toString('latin1') === header ? file.subarray(length) : 'stale';
}

function compile(program: string, source: Program, cachedData?: Buffer): vm.Script {
  return new vm.Script(wrap(source.text), { filename: program, ...(cachedData ? { cachedData } : {}) });
}

/** Node's own CommonJS wrapper, so the program sees the module variables it would under `require`. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
}

/** Runs the compiled program as the CommonJS module `program`: its own require, __filename and __dirname. */
function execute(script: vm.Script, program: string): void {
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  const mod = { exports: {}, filename: program, id: program, loaded: false };
  fn.call(mod.exports, mod.exports, createRequire(program), mod, program, path.dirname(program));
  mod.loaded = true;
}

/**
 * Compiles and runs the bundled program `program` (an absolute path), with its code cache when that is valid for
 * it and this Node; says how the cache was used.
 */
export function runProgram(program: string): CodeCacheUse {
  const source = readProgram(program);
  const cached = readCache(program, source);
  const script = compile(program, source, typeof cached === 'string' ? undefined : cached);
  execute(script, program);
  if (typeof cached === 'string') return cached;
  return script.cachedDataRejected === true ? 'rejected' : 'used';
}

/**
 * Build step: runs `program` with `argv` (an offline command such as `--list --json`, its output discarded) and, at
 * process exit, writes its code cache, holding every function compiled until then. Written to a temporary name and
 * renamed, so a reader never sees half a file.
 */
export function writeCodeCache(program: string, argv: readonly string[]): void {
  const source = readProgram(program);
  const script = compile(program, source);
  process.argv = [process.argv[0] as string, program, ...argv];
  process.stdout.write = () => true;
  process.once('exit', () => {
    const target = codeCacheFile(program);
    const data = Buffer.concat([Buffer.from(`${MAGIC} ${tagOf(source.bytes)}\n`, 'latin1'), script.createCachedData()]);
    writeFileSync(`${target}.tmp`, data);
    renameSync(`${target}.tmp`, target);
  });
  execute(script, program);
}
