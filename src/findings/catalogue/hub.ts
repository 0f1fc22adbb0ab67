import type { FindingSpec } from '../types';

/** Findings about hub. Codes never change once shipped. */
export const hubFindings = {
} satisfies Record<string, FindingSpec<any>>;
