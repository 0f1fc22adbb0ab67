import type { FindingSpec } from '../types';

/** Findings about device. Codes never change once shipped. */
export const deviceFindings = {
} satisfies Record<string, FindingSpec<any>>;
