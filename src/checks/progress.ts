import type { Check } from './types';

/** Where progress goes: a terminal (stderr), which it erases after itself. */
export interface ProgressStream {
  write(s: string): unknown;
}

/** A live line naming the slowest running check and its elapsed seconds; see {@link startProgress}. */
export interface Progress {
  /** A check started; `title` is its title for this run (default: the registry's). */
  started(check: Check, title?: string): void;
  /** A check finished. */
  finished(check: Check): void;
  /** Something is about to be printed: erase the line (the next tick draws it again). */
  erase(): void;
  /** The run is over: stop ticking and erase the line. */
  stop(): void;
}

const ERASE = '\r\x1b[2K';

/**
 * Progress for checks that take a while (DNS timeouts, a registration): once a second, while any check runs, one
 * line `  … <id>: <title> (<s> s)` on `stream`, erased before each result and at the end. Only for a terminal: the
 * caller decides (never on a pipe or a file, where the erase codes would be litter).
 * @param width - The line is cut to fit, so it never wraps (a wrapped line cannot be erased).
 */
export function startProgress(stream: ProgressStream, width: number, intervalMs = 1000): Progress {
  const running = new Map<string, { check: Check; title: string; since: number }>();
  let shown = false;
  const erase = (): void => {
    if (shown) stream.write(ERASE);
    shown = false;
  };
  const timer = setInterval(() => {
    const oldest = [...running.values()].sort((a, b) => a.since - b.since)[0];
    if (!oldest) return;
    const seconds = Math.round((performance.now() - oldest.since) / 1000);
    const others = running.size > 1 ? ` +${running.size - 1} more` : '';
    const line = `  … ${oldest.check.id}: ${oldest.title}${others} (${seconds} s)`;
    stream.write(`${ERASE}${line.length < width ? line : `${line.slice(0, width - 2)}…`}`);
    shown = true;
  }, intervalMs);
  // Progress never keeps the process alive on its own.
  timer.unref();
  return {
    started: (check, title = check.title) => running.set(check.id, { check, title, since: performance.now() }),
    finished: (check) => {
      running.delete(check.id);
      if (running.size === 0) erase();
    },
    erase,
    stop: () => {
      clearInterval(timer);
      running.clear();
      erase();
    },
  };
}
