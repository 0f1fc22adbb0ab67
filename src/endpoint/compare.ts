import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { sameAddresses } from './analyse';
import type { EndpointReport } from './types';

/**
 * DNS_ANSWER_CHANGED when a later verification of the same host (e.g. just before reconnecting, or a second
 * `dps-check` pass) gives the device a different set of addresses than an earlier one; undefined when they match or
 * either side has no answer (that is reported by the report's own findings).
 */
export function answerChanged(before: EndpointReport, after: EndpointReport): Finding | undefined {
  if (before.addresses.length === 0 || after.addresses.length === 0) return undefined;
  if (sameAddresses(before.addresses, after.addresses)) return undefined;
  return createFinding('DNS_ANSWER_CHANGED', {
    host: after.host,
    resolver: after.trace[0]?.resolver ?? 'system',
    before: before.addresses.map((a) => a.address),
    after: after.addresses.map((a) => a.address),
  });
}
