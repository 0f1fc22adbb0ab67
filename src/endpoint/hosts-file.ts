import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { logger } from '../log';
import { BoundedMap } from '../support/bounded-map';

const log = logger('endpoint:hosts');

/** The platform's hosts file: `/etc/hosts`, or `%SystemRoot%\System32\drivers\etc\hosts` on Windows. */
export function defaultHostsFile(): string {
  if (process.platform === 'win32') {
    return path.win32.join(process.env['SystemRoot'] ?? 'C:\\Windows', 'System32', 'drivers', 'etc', 'hosts');
  }
  return '/etc/hosts';
}

/**
 * A file whose mtime is this recent is read again on every call: a filesystem with coarse timestamps can give two
 * edits within one tick the same mtime (and an edit may keep the size), so only an mtime safely in the past proves the
 * parsed copy current (git's "racily clean" rule).
 */
const RACY_MS = 2000;
/** Distinct hosts files kept parsed (one in production; tests use many temporary ones). */
const MAX_FILES = 8;

interface Parsed {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  byName: Map<string, string[]>;
}

const parsedFiles = new BoundedMap<string, Parsed>(MAX_FILES);

/**
 * The addresses the hosts file gives `host` (lower case, no trailing dot), in file order. A missing or unreadable file
 * has no entries: getaddrinfo would then go to DNS, which is what we report.
 *
 * Each call stats the file (a few microseconds, synchronous: cheaper than a thread-pool round trip and than the
 * read + parse it saves) and parses it again only when its inode, size or mtime changed or the mtime is too recent to
 * trust; so an edited hosts file is seen by the next call, and an unchanged one is read once.
 */
export async function hostsFileAddresses(host: string, file: string = defaultHostsFile()): Promise<string[]> {
  try {
    return [...(parsedHostsFile(file).get(host) ?? [])];
  } catch (err) {
    parsedFiles.delete(file);
    log('cannot read %s: %s', file, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    return [];
  }
}

function parsedHostsFile(file: string): Map<string, string[]> {
  const st = fs.statSync(file);
  const known = parsedFiles.get(file);
  if (
    known &&
    known.dev === st.dev &&
    known.ino === st.ino &&
    known.size === st.size &&
    known.mtimeMs === st.mtimeMs &&
    Date.now() - st.mtimeMs >= RACY_MS
  ) {
    return known.byName;
  }
  const byName = indexHostsFile(fs.readFileSync(file, 'utf8'));
  parsedFiles.set(file, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, byName });
  return byName;
}

/** The addresses `host` has in hosts-file text (`ip name [alias...] [# comment]`). */
export function parseHostsFile(text: string, host: string): string[] {
  return [...(indexHostsFile(text).get(host) ?? [])];
}

/** Every name in hosts-file text (lower case, no trailing dot) with its addresses in file order, each once. */
function indexHostsFile(text: string): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [ip, ...names] = line.split(/\s+/);
    if (!ip || !net.isIP(ip)) continue;
    for (const n of names) {
      const name = n.toLowerCase().replace(/\.$/, '');
      const list = byName.get(name);
      if (!list) byName.set(name, [ip]);
      else if (!list.includes(ip)) list.push(ip);
    }
  }
  return byName;
}
