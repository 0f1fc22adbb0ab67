import { AbortedError } from '../errors';

/**
 * Runs `start` and settles with it, unless `signal` fires first: then `cleanup` runs (close sockets, clear timers) and
 * the promise rejects with AbortedError. Rejects at once if already aborted; always removes its listener.
 */
export function abortable<T>(
  step: string,
  signal: AbortSignal | undefined,
  start: () => Promise<T>,
  cleanup: () => void = () => {},
): Promise<T> {
  if (signal?.aborted) return Promise.reject(new AbortedError(step, signal.reason));
  if (!signal) return start();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      cleanup();
      reject(new AbortedError(step, signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    start().then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** setTimeout's ceiling: a longer delay silently fires after 1 ms, so every wait is capped here. */
export const MAX_DELAY_MS = 2_147_483_647;

/**
 * Waits `ms` (capped at {@link MAX_DELAY_MS}, never negative), or rejects with AbortedError as soon as `signal`
 * fires — at once if it already has. The timer and the listener are always cleared.
 */
export function delay(ms: number, signal?: AbortSignal, step = 'waiting'): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return abortable(
    step,
    signal,
    () => new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(Math.max(0, ms), MAX_DELAY_MS)))),
    () => clearTimeout(timer),
  ).finally(() => clearTimeout(timer));
}

/**
 * Settles with `promise`, or with `'timeout'` after `ms` if it has not settled by then, or rejects with AbortedError
 * when `signal` fires. The timer and the listener are always cleared; `promise` itself is left to run.
 */
export function within<T>(
  promise: Promise<T>,
  ms: number,
  signal?: AbortSignal,
  step = 'waiting',
): Promise<T | 'timeout'> {
  // Observed at once: with a signal that already fired, or one that fires first, nothing else would ever handle its
  // rejection (an unhandled rejection kills the host process).
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const clear = (): void => clearTimeout(timer);
  const race = (): Promise<T | 'timeout'> =>
    Promise.race([
      promise,
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.min(ms, MAX_DELAY_MS)))),
    ]);
  return abortable(step, signal, race, clear).finally(clear);
}
