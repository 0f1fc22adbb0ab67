import { DpsPrivateLinkError } from './findings/error';

export { DpsPrivateLinkError, InvalidOptionError, type ErrorCode } from './findings/error';

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
