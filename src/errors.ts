import type { Finding, FindingCode } from './findings/types';

/**
 * Every `code` an error of this package carries: a finding code (the primary finding's), or one of the codes of
 * errors that are not a diagnosis. Stable: added to, never renamed.
 */
export type ErrorCode = FindingCode | 'ERR_INVALID_OPTION' | 'ERR_ABORTED' | 'ERR_LAB_LISTEN';

/**
 * The one base class for every error this package throws. `code` is stable (never changes once shipped);
 * `findings` carries the diagnosis; `cause` keeps the low-level error (ENOTFOUND, CERT_*, the SDK's error).
 */
export class DpsPrivateLinkError extends Error {
  /** The class name, for logs and `instanceof`-free checks; each subclass sets its own. */
  override name = 'DpsPrivateLinkError';
  /** Stable machine-readable code, e.g. `ERR_INVALID_OPTION`; never changes once shipped. */
  readonly code: ErrorCode;
  /** The diagnosis behind the error (may be empty), each with evidence and a fix. */
  readonly findings: Finding[];

  constructor(code: ErrorCode, message: string, options: { findings?: Finding[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.findings = options.findings ?? [];
  }
}

/** An option or input value is malformed. The message names the option, the value's problem and the fix. */
export class InvalidOptionError extends DpsPrivateLinkError {
  /** Always `InvalidOptionError`; `code` is `ERR_INVALID_OPTION`. */
  override name = 'InvalidOptionError';
  /** The option path, e.g. `network.expectedCidrs[1]`. */
  readonly option: string;

  constructor(option: string, problem: string, fix: string, cause?: unknown) {
    super('ERR_INVALID_OPTION', `Invalid ${option}: ${problem}. ${fix}`, { cause });
    this.option = option;
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends DpsPrivateLinkError {
  /**
   * `AbortError`, the name DOM and Node use for aborts, so generic abort checks recognise it; `code` is `ERR_ABORTED`.
   */
  override name = 'AbortError';
  constructor(step?: string, cause?: unknown) {
    super('ERR_ABORTED', step ? `Aborted while ${step}.` : 'Aborted.', { cause });
  }
}
