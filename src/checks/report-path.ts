import { accessSync, constants, lstatSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { InvalidOptionError } from '../errors';
import { specialKind } from '../support/atomic-write';

/** What `--report FILE` writes: an HTML page for `.html`/`.htm`, else (`.json` or anything else) the JSON bundle. */
export type ReportFormat = 'html' | 'json';

/** The format `--report FILE` writes, chosen by the file name's extension (case-insensitive). */
export function reportFormatOf(file: string): ReportFormat {
  return /\.html?$/i.test(file) ? 'html' : 'json';
}

const FIX = 'Pass --report the path of a regular file in a directory you can write (e.g. /tmp/dps-check-report.html).';

// The same words as the write-time error in main.ts, so a path refused early or late reads alike.
function refuse(file: string, problem: string, cause?: unknown): never {
  throw new InvalidOptionError('--report', `cannot write --report ${file}: ${problem}`, FIX, cause);
}

function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Fails fast when `--report FILE` cannot be written, so a technician does not wait through every network check to
 * learn that the bundle is lost: the path must not hold a directory, device, FIFO or socket, and its directory must
 * exist and let this process create files (the bundle is written to a temporary file there and renamed into place).
 * Looks only (lstat, stat, access): creates nothing and never opens the path, so a FIFO cannot block. The write at
 * the end can still fail (a full disk, a race); that is reported then.
 *
 * @throws InvalidOptionError naming `--report`, the path, what is wrong and the fix.
 */
export function checkReportPath(file: string): void {
  if (file.trim() === '') refuse(file, 'the path is empty');
  const existing = lstatOrUndefined(file);
  const kind = existing && specialKind(existing);
  if (kind) refuse(file, `it is ${kind}, not a regular file, and is left as it is`);
  const dir = path.dirname(path.resolve(file));
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    refuse(file, `its directory ${dir} cannot be used (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
  if (!st.isDirectory()) refuse(file, `${dir} is not a directory`);
  try {
    // W_OK also fails on a read-only file system (EROFS), where root would otherwise pass.
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    refuse(file, `cannot create files in ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
}
