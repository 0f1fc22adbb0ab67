import type { FindingSpec } from '../types';

/** Findings about tls. Codes never change once shipped. */
export const tlsFindings = {
} satisfies Record<string, FindingSpec<any>>;
