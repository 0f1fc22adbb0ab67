// Headless Chromium (Debian's `chromium`) for the HTML report tests: renders a report file to a PNG and dumps the DOM
// after parsing, so a test asserts on what a browser made of the page, not on the string we wrote.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The chromium binary, or undefined (with the reason printed by the caller) where it is not installed. */
export function chromiumPath(): string | undefined {
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

// Headless, as root (--no-sandbox), and nothing that reaches out: no first-run, sync, component updates, prefetch;
// every host name fails to resolve. The test runs in a loopback-only namespace as well, where there is no network.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--dns-prefetch-disable',
  '--host-resolver-rules=MAP * ~NOTFOUND',
];

/** Generous: the machine is shared and loaded; a render normally takes 1-3 s. */
const RUN_TIMEOUT_MS = 90_000;

function run(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`chromium ${args.at(-1) ?? ''} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** What Chromium made of a page: the DOM it built, its visible text, and the screenshot. */
export interface Rendered {
  dom: string;
  /** The body's text as a reader sees it: tags gone, entities decoded, whitespace collapsed. */
  text: string;
  png: string;
  pngBytes: number;
}

/** Renders `file` (a file:// URL) to `<file>.png` at 1200x2000 and dumps its DOM, each in a fresh profile. */
export async function renderInChromium(binary: string, file: string): Promise<Rendered> {
  const url = pathToFileURL(file).href;
  const png = `${file}.png`;
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  try {
    await run(binary, [...FLAGS, `--user-data-dir=${profile}`, `--screenshot=${png}`, '--window-size=1200,2000', url]);
    const dom = await run(binary, [...FLAGS, `--user-data-dir=${profile}`, '--dump-dom', url]);
    return { dom, text: visibleText(dom), png, pngBytes: existsSync(png) ? statSync(png).size : 0 };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

/** The text of a serialised DOM, as the page shows it. */
export function visibleText(dom: string): string {
  return dom
    .replace(/<head>[\s\S]*?<\/head>/i, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_m, e: string) => ENTITIES[e] as string)
    .replace(/\s+/g, ' ')
    .trim();
}

/** The serialised markup of every element with `class` containing `cls` (one level: no nested same-class parts). */
export function elementsWithClass(dom: string, cls: string): string[] {
  const out: string[] = [];
  const open = new RegExp(`<(\\w+)[^>]*class="[^"]*\\b${cls}\\b[^"]*"[^>]*>`, 'g');
  for (let m = open.exec(dom); m; m = open.exec(dom)) {
    const tag = m[1] as string;
    // Walk forward counting nested tags of the same name to find the matching close.
    const re = new RegExp(`<${tag}\\b|</${tag}>`, 'g');
    re.lastIndex = m.index + m[0].length;
    let depth = 1;
    let end = dom.length;
    for (let t = re.exec(dom); t; t = re.exec(dom)) {
      depth += t[0].startsWith('</') ? -1 : 1;
      if (depth === 0) {
        end = t.index + t[0].length;
        break;
      }
    }
    out.push(dom.slice(m.index, end));
  }
  return out;
}
