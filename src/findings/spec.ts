// What a catalogue entry is made of; the catalogue files import this (not types.ts, which imports the catalogue).
/** How bad a finding is. `error` stops a provisioning run under the `enforce` policy; `warning` never does. */
export type Severity = 'error' | 'warning' | 'info';

/** Evidence is plain data (strings, numbers, arrays, nested objects) so it survives JSON and support bundles. */
export type Evidence = Record<string, unknown>;

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
