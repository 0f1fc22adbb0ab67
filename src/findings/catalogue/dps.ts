import type { FindingSpec } from '../types';

/** Findings about dps. Codes never change once shipped. */
export const dpsFindings = {
} satisfies Record<string, FindingSpec<any>>;
