import type { Finding, FindingCode } from './types';

// The error base lives here, not in errors.ts, because the findings layer throws too (a malformed finding or code
// passed to a public function) and the one-way flow forbids it from importing the layer above. errors.ts re-exports
// both classes, so callers and the layers above keep importing them from there.

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
