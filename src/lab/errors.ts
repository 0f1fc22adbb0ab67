import { DpsPrivateLinkError } from '../errors';

/** A lab listener could not bind its address/port (in use, or 443 without root). Names the option to change. */
export class LabListenError extends DpsPrivateLinkError {
  /** Always `LabListenError`; `code` is `ERR_LAB_LISTEN`. */
  override name = 'LabListenError';
  constructor(
    /** The LabOptions field that chose the port or address, e.g. `wsPort`. */
    readonly option: string,
    address: string,
    port: number,
    cause: NodeJS.ErrnoException,
  ) {
    const why =
      cause.code === 'EADDRINUSE'
        ? 'the port is in use (another lab still running?)'
        : cause.code === 'EACCES'
          ? 'permission denied (ports below 1024 need root)'
          : cause.code === 'EADDRNOTAVAIL'
            ? 'the address is not available on this host'
            : (cause.code ?? cause.message);
    super(
      'ERR_LAB_LISTEN',
      `The lab cannot listen on ${address}:${port}: ${why}. Set ${option} to another value (0 = ephemeral).`,
      {
        cause,
      },
    );
  }
}
