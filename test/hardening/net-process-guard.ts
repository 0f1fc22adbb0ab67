// Records every unhandled rejection and uncaught exception while a hardening case runs, so a case fails on either
// (mocha's own handler would blame whichever test happens to run next, or none at all).
import { activeHandles } from '../support/provision-lab';

/**
 * The handles open before a case, taken after one turn of the event loop: mocha arms its own per-test timer only once
 * the test function has returned its promise, and that timer must not count as one the case left behind.
 */
export async function baselineHandles(): Promise<string[]> {
  await new Promise((r) => setImmediate(r));
  return activeHandles();
}

export interface ProcessGuard {
  /** What escaped so far: `unhandledRejection: …` / `uncaughtException: …`. */
  readonly escaped: string[];
  /** Removes the listeners (and puts mocha's back). */
  dispose(): void;
}

/** Installs the listeners; mocha's own are taken off while it is in place, and restored by `dispose`. */
export function guardProcess(): ProcessGuard {
  const escaped: string[] = [];
  const saved = {
    unhandledRejection: process.listeners('unhandledRejection'),
    uncaughtException: process.listeners('uncaughtException'),
  };
  const onRejection = (reason: unknown): void => {
    escaped.push(`unhandledRejection: ${describe(reason)}`);
  };
  const onException = (err: unknown): void => {
    escaped.push(`uncaughtException: ${describe(err)}`);
  };
  process.removeAllListeners('unhandledRejection');
  process.removeAllListeners('uncaughtException');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    escaped,
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
      for (const l of saved.unhandledRejection) process.on('unhandledRejection', l as never);
      for (const l of saved.uncaughtException) process.on('uncaughtException', l as never);
    },
  };
}

function describe(x: unknown): string {
  if (x instanceof Error) return `${x.name}: ${x.message}`;
  if (x && typeof x === 'object') return JSON.stringify(x);
  return String(x);
}

/** Lets pending rejections surface: 'unhandledRejection' fires after the microtask queue drains. */
export async function flushRejections(ms = 50): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, ms));
  await new Promise((r) => setImmediate(r));
}

/**
 * The handles open now beyond `baseline`, by kind (`['TCPSocketWrap']` for one socket left open). A handle of the
 * baseline that closed meanwhile (a timer of another suite firing) is no leak, so this is a multiset difference.
 */
export function leftOpen(baseline: string[], now: string[]): string[] {
  const pool = [...baseline];
  return now.filter((h) => {
    const i = pool.indexOf(h);
    if (i === -1) return true;
    pool.splice(i, 1);
    return false;
  });
}

/** Waits (up to `ms`) until nothing beyond `baseline` is open; returns what still is (handles close asynchronously). */
export async function settleLeftOpen(baseline: string[], ms = 3000): Promise<string[]> {
  const deadline = Date.now() + ms;
  let extra = leftOpen(baseline, activeHandles());
  while (extra.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    extra = leftOpen(baseline, activeHandles());
  }
  return extra;
}
