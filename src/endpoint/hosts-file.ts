import { readFile } from 'node:fs/promises';
import path from 'node:path';
import net from 'node:net';
import { logger } from '../log';

const log = logger('endpoint:hosts');

/** The platform's hosts file: `/etc/hosts`, or `%SystemRoot%\System32\drivers\etc\hosts` on Windows. */
export function defaultHostsFile(): string {
  if (process.platform === 'win32') {
    return path.win32.join(process.env['SystemRoot'] ?? 'C:\\Windows', 'System32', 'drivers', 'etc', 'hosts');
  }
  return '/etc/hosts';
}

/**
 * The addresses the hosts file gives `host` (lower case, no trailing dot), in file order. A missing or unreadable file
 * has no entries: getaddrinfo would then go to DNS, which is what we report.
 */
export async function hostsFileAddresses(host: string, file: string = defaultHostsFile()): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    log('cannot read %s: %s', file, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    return [];
  }
  return parseHostsFile(text, host);
}

/** The addresses `host` has in hosts-file text (`ip name [alias...] [# comment]`). */
export function parseHostsFile(text: string, host: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [ip, ...names] = line.split(/\s+/);
    if (!ip || !net.isIP(ip)) continue;
    if (names.some((n) => n.toLowerCase().replace(/\.$/, '') === host) && !out.includes(ip)) out.push(ip);
  }
  return out;
}
