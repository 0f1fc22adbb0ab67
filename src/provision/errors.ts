import { DpsPrivateLinkError } from '../errors';
import type { EndpointReport } from '../endpoint/types';
import type { Finding } from '../findings/types';

/**
 * provisionDevice failed. `code` is the primary finding's code (e.g. `DPS_UNAUTHORIZED_PUBLIC`,
 * `DNS_PRIVATELINK_NOT_PRIVATE`, `TLS_VERSION_TOO_LOW`, `DPS_TIMEOUT`); `findings` has it first, then the context
 * (DNS findings of the DPS endpoint and so on); `cause` keeps the SDK's or Node's own error.
 */
export class ProvisioningError extends DpsPrivateLinkError {
  /** Always `ProvisioningError`; `code` is the primary finding's code. */
  override name = 'ProvisioningError';
  /**
   * The step provisioning had reached: credentials, resolving, connecting, tls, registering, polling, verifying hub.
   */
  readonly step: string;
  /** The DPS endpoint report, when DNS verification had run. */
  readonly dps: EndpointReport | undefined;

  constructor(
    primary: Finding,
    options: { findings?: Finding[]; cause?: unknown; step: string; dps?: EndpointReport },
  ) {
    const rest = (options.findings ?? []).filter((f) => f !== primary);
    super(primary.code, `${primary.message} ${primary.remediation}`, {
      findings: [primary, ...rest],
      cause: options.cause,
    });
    this.step = options.step;
    this.dps = options.dps;
  }
}
