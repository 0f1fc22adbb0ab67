import { InvalidOptionError } from '../errors';

/** The largest clock offset the lab accepts (ms): ten years either way is more skew than any field device has. */
export const MAX_CLOCK_OFFSET_MS = 10 * 366 * 24 * 3600_000;

/**
 * The lab's clock: real time plus an offset that a test can change at run time. Everything the lab reports (HTTP
 * Date, registrationState and error timestamps) and everything it judges by time (SAS expiry, client certificate
 * validity) reads this clock, so a skewed lab behaves like a service whose clock disagrees with the device's.
 */
export class LabClock {
  private offset: number;

  constructor(offsetMs = 0) {
    this.offset = checkClockOffset('clockOffsetMs', offsetMs);
  }

  /** Milliseconds the lab clock runs ahead of the host clock (negative = behind). */
  get offsetMs(): number {
    return this.offset;
  }

  /** Change the offset from now on. @throws InvalidOptionError naming `field` for a value that is not a sane offset. */
  setOffset(offsetMs: number, field = 'offsetMs'): void {
    this.offset = checkClockOffset(field, offsetMs);
  }

  /** The lab's time, ms since the epoch. */
  now(): number {
    return Date.now() + this.offset;
  }

  /** The lab's time as an ISO 8601 string, the form DPS uses in JSON bodies. */
  iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** The lab's time as an HTTP `Date` header value (IMF-fixdate, one-second resolution). */
  httpDate(): string {
    return new Date(this.now()).toUTCString();
  }
}

/** Validate a clock offset at the door: an integer number of ms within ±{@link MAX_CLOCK_OFFSET_MS}. */
export function checkClockOffset(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > MAX_CLOCK_OFFSET_MS) {
    throw new InvalidOptionError(
      field,
      `${String(value)} is not a whole number of milliseconds within ±10 years`,
      'Use e.g. 600000 for a lab clock 10 minutes ahead, -600000 for 10 minutes behind, 0 for none.',
    );
  }
  return value;
}
