import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Permission bits of the new file, set when it is created (before the first byte). Default 0o600. */
  mode?: number;
}

/**
 * Replaces `file` with `data`, atomically: a new temporary file in the same directory, opened with 'wx' (never an
 * existing file, never through a symlink) and `mode`, written, fsynced, closed, then renamed over `file`; then the
 * directory is fsynced so the rename survives a power cut. Readers see the old content or the whole new one, and a
 * symlink planted at `file` is replaced, never written through.
 *
 * Synchronous on purpose: its callers write a few KiB once (a cache record, a support bundle), and one
 * implementation serves both the synchronous and the asynchronous caller.
 *
 * @throws the fs error (EACCES, ENOENT, EISDIR, ENOSPC…) of the step that failed, after removing the temporary file:
 *   no failure leaves one behind.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
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
    renameSync(temp, file);
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
  syncDirectory(dir);
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
