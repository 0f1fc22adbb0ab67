import type { FindingCode } from './catalogue';
import type { Evidence, Severity } from './spec';

export type { Evidence, FindingSpec, Severity } from './spec';
export type { FindingCode };

/**
 * One thing we found out about the path from the device to DPS or the hub: a stable code, what was seen,
 * and what to do about it. Codes never change once shipped.
 */
export interface Finding {
  /** Stable identifier from the catalogue, e.g. `DNS_PRIVATELINK_NOT_PRIVATE`. */
  code: FindingCode;
  /** How bad it is; under the `enforce` policy an `error` stops the run. */
  severity: Severity;
  /** One or two sentences saying what happened, with the concrete names and addresses. */
  message: string;
  /** What was observed: names, addresses, resolvers, certificate fields. Never a secret. */
  evidence: Evidence;
  /** The specific fix, naming the Azure resource, zone or setting to change. */
  remediation: string;
  /** The Microsoft Learn page the finding and its fix rest on (see findings/links.ts). */
  link?: string;
}
