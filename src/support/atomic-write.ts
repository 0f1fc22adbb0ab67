import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Permission bits of the new file, set when it is created (before the first byte). Default 0o600. */
  mode?: number;
}

/**
 * The path exists and is not something a file may be renamed over: a character or block device (`/dev/null`), a
 * FIFO, a socket or a directory. Renaming over a device node would delete it for the whole machine (every later
 * `> /dev/null` would fill a file), so the writer refuses before creating anything.
 */
export class NotARegularFileError extends Error {
  /** Always `NotARegularFileError`. */
  override name = 'NotARegularFileError';
  /** Stable, errno-like: callers that print `err.code` still say what happened. */
  readonly code = 'ERR_NOT_REGULAR_FILE';
  /** The path that was refused. */
  readonly path: string;
  /** What is there instead: `a character device`, `a FIFO`, `a directory`… */
  readonly kind: string;

  constructor(file: string, kind: string, verb = 'replaced') {
    super(`${file} is ${kind}, not a regular file: not ${verb}`);
    this.path = file;
    this.kind = kind;
  }
}

/** What a non-regular file is, in words, for messages; undefined for a regular file or a symlink. */
export function specialKind(st: Stats): string | undefined {
  if (st.isFile() || st.isSymbolicLink()) return undefined;
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/**
 * Throws {@link NotARegularFileError} when `file` exists and is neither a regular file nor a symlink (a symlink is
 * replaced by the rename, never written through, so the file it points to is safe). lstat only: never opens the
 * path, so a FIFO cannot block the caller.
 */
function refuseSpecialTarget(file: string): void {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch {
    return; // missing (or unreachable: the rename reports that)
  }
  const kind = specialKind(st);
  if (kind) throw new NotARegularFileError(file, kind);
}

/**
 * Replaces `file` with `data`, atomically: a new temporary file in the same directory, opened with 'wx' (never an
 * existing file, never through a symlink) and `mode`, written, fsynced, closed, then renamed over `file`; then the
 * directory is fsynced so the rename survives a power cut. Readers see the old content or the whole new one, and a
 * symlink planted at `file` is replaced, never written through. Only a regular file, a symlink or a missing path is
 * replaced: a device, FIFO, socket or directory at `file` is refused before anything is created. After a successful
 * write, temporary files of this writer's own naming left for `file` by a process that died (kill -9, power cut) are
 * removed.
 *
 * Synchronous on purpose: its callers write a few KiB once (a cache record, a support bundle), and one
 * implementation serves both the synchronous and the asynchronous caller.
 *
 * @throws NotARegularFileError naming the path when it holds a special file; else the fs error (EACCES, ENOENT,
 *   ENOSPC…) of the step that failed, after removing the temporary file: no failure leaves one behind.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  refuseSpecialTarget(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // If this throws nothing was created ('wx' never opens a file that was already there), so there is nothing to remove.
  const fd = openSync(temp, 'wx', options.mode ?? 0o600);
  try {
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // Again just before the rename: something may have been put at the path while the data was written.
    refuseSpecialTarget(file);
    renameSync(temp, file);
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
  syncDirectory(dir);
  removeStaleTemps(file);
}

/** `.<name>.<pid>.<12 hex>.tmp`: the temporary files {@link writeFileAtomic} makes for `<name>`. */
function tempPattern(file: string): RegExp {
  const base = path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${base}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
}

/** True while a process with this id exists (EPERM: it exists, but belongs to someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** After this long a temporary file is stale whoever made it: no write of a few KiB takes an hour. */
const STALE_AFTER_MS = 60 * 60 * 1000;

/**
 * Removes temporary files of our own naming for `file` whose writer is gone: made by this process (its writes are
 * synchronous, so none is in flight now), by a process that no longer exists, or more than an hour ago. Only regular
 * files owned by this user are touched; nothing else in the directory is. Best effort.
 */
export function removeStaleTemps(file: string): void {
  const dir = path.dirname(file);
  const pattern = tempPattern(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1] ?? NaN);
    if (!Number.isInteger(pid)) continue;
    const temp = path.join(dir, name);
    try {
      const st = lstatSync(temp);
      if (!st.isFile() || (uid !== undefined && st.uid !== uid)) continue;
      if (pid === process.pid || !isAlive(pid) || Date.now() - st.mtimeMs > STALE_AFTER_MS) unlinkSync(temp);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone (or never renamed away): nothing left to clean up.
  }
}

/** Makes a rename durable. Best effort: not possible on every platform (Windows) or file system. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // The file itself is written and renamed; only its durability across a power cut is not guaranteed here.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
