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
