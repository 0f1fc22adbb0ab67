/** How bad a finding is. `error` stops a provisioning run under the `enforce` policy; `warning` never does. */
export type Severity = 'error' | 'warning' | 'info';

/** Evidence is plain data (strings, numbers, arrays, nested objects) so it survives JSON and support bundles. */
export type Evidence = Record<string, unknown>;

/**
 * One thing we found out about the path from the device to DPS or the hub: a stable code, what was seen,
 * and what to do about it. Codes never change once shipped.
 */
export interface Finding {
  /** Stable identifier from the catalogue, e.g. `DNS_PRIVATELINK_NOT_PRIVATE`. */
  code: string;
  /** How bad it is; under the `enforce` policy an `error` stops the run. */
  severity: Severity;
  /** One or two sentences saying what happened, with the concrete names and addresses. */
  message: string;
  /** What was observed: names, addresses, resolvers, certificate fields. Never a secret. */
  evidence: Evidence;
  /** The specific fix, naming the Azure resource, zone or setting to change. */
  remediation: string;
}

/** A catalogue entry: turns evidence into a message and a remediation. */
export interface FindingSpec<E extends Evidence = Evidence> {
  /** Severity every finding with this code gets. */
  severity: Severity;
  /** A short title, used in tables (README, `dps-check --list-codes`). */
  title: string;
  /** Builds {@link Finding.message} from the evidence. */
  message: (evidence: E) => string;
  /** Builds {@link Finding.remediation} from the evidence. */
  remediation: (evidence: E) => string;
}
