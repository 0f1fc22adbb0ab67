import { delay } from '../support/abort';

/** Why a {@link Deadline} fired. */
export type StopReason = { kind: 'timeout' } | { kind: 'aborted'; reason: unknown } | { kind: 'failed'; error: Error };

/**
 * One overall deadline plus the caller's AbortSignal (and internal stops, e.g. a malformed response), as one signal.
 * Every wait in a provisioning run goes through it, so stopping clears every timer and listener we own.
 */
export class Deadline {
  /** The step currently running, for DPS_TIMEOUT's evidence. */
  step = 'resolving';
  /** Set once the run is stopped. */
  stopped: StopReason | undefined;
  private readonly controller = new AbortController();
  /**
   * What {@link race} waits with: called on stop, before the signal fires. A plain set, not listeners on the signal:
   * an EventTarget listener per wait cost a gateway's registration a dozen allocations and a linear removal each.
   */
  private readonly waiters = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;
  private readonly onUserAbort: () => void;

  constructor(
    readonly timeoutMs: number,
    private readonly userSignal?: AbortSignal,
  ) {
    this.timer = setTimeout(() => this.stop({ kind: 'timeout' }), timeoutMs);
    this.onUserAbort = () => this.stop({ kind: 'aborted', reason: userSignal?.reason });
    if (userSignal?.aborted) this.stop({ kind: 'aborted', reason: userSignal.reason });
    else userSignal?.addEventListener('abort', this.onUserAbort, { once: true });
  }

  /** Aborts when the deadline passes, the caller aborts, or `stop` is called. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the run (first reason wins). */
  stop(reason: StopReason): void {
    if (this.stopped) return;
    this.stopped = reason;
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
    this.controller.abort(reason);
  }

  /**
   * Settles with `promise`, or rejects with the stop reason as soon as the run is stopped. `promise` is always
   * observed: when the run stopped first (or before the step started), its own later rejection — typically the step
   * noticing the aborted signal — would otherwise be an unhandled rejection, which kills the host process.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => undefined);
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise<T>((resolve, reject) => {
      const onStop = (): void => reject(this.stopped);
      this.waiters.add(onStop);
      promise.then(
        (v) => {
          this.waiters.delete(onStop);
          resolve(v);
        },
        (e: unknown) => {
          this.waiters.delete(onStop);
          reject(e);
        },
      );
    });
  }

  /**
   * Waits `ms`, unless stopped first (the timer is cleared either way). Capped at setTimeout's ceiling: a longer
   * delay (backoff doubling, a huge retry-after) would otherwise fire at once; the deadline is shorter anyway.
   */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    return delay(ms, this.signal).catch((err: unknown) => Promise.reject(this.stopped ?? err));
  }

  /** Clears the deadline timer and the listener on the caller's signal. Idempotent. */
  dispose(): void {
    clearTimeout(this.timer);
    this.userSignal?.removeEventListener('abort', this.onUserAbort);
  }
}
