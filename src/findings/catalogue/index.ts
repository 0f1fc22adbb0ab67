import type { Evidence, FindingSpec } from '../spec';
import { dnsFindings } from './dns';
import { tlsFindings } from './tls';
import { deviceFindings } from './device';
import { dpsFindings } from './dps';
import { hubFindings } from './hub';

/**
 * Every finding code we can emit. Each area owns its file; codes never change once shipped
 * (test/findings/catalogue.test.ts pins the list).
 */
export const catalogue = {
  ...dnsFindings,
  ...tlsFindings,
  ...deviceFindings,
  ...dpsFindings,
  ...hubFindings,
  // Each spec has its own evidence type; `any` is what lets them share one record.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} satisfies Record<string, FindingSpec<any>>;

/**
 * A finding code the catalogue knows, e.g. `DNS_PRIVATELINK_NOT_PRIVATE`: upper snake case, grouped by area prefix
 * (DNS, TLS, DEVICE, DPS, HUB…). Stable: codes are added, never renamed or removed.
 */
export type FindingCode = keyof typeof catalogue;

/** Evidence type expected by a given code's catalogue entry. */
export type EvidenceOf<C extends FindingCode> = (typeof catalogue)[C] extends FindingSpec<infer E> ? E : Evidence;
