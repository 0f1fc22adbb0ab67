import type { FindingSpec } from '../types';

/** Findings about dns. Codes never change once shipped. */
export const dnsFindings = {
} satisfies Record<string, FindingSpec<any>>;
