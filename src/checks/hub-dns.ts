import type { ProvisioningResult } from '../provision/types';
import { traceEvidence, traceLine } from './dps-dns';
import { stateOf, type Check } from './types';

/** `hub-dns`: the hub DPS assigned resolves to a private address inside the VNET (HUB_* findings). */
export const hubDns: Check = {
  id: 'hub-dns',
  title: 'Assigned hub resolves to a private address inside the VNET',
  section: 'hub',
  dependsOn: ['dps-register'],
  run(ctx) {
    // provisionDevice already verified the assigned hub with the same resolvers and policy: reuse its report.
    const result = stateOf<ProvisioningResult>(ctx, 'dps-register') as ProvisioningResult;
    ctx.state.set('hub-dns', result.hub);
    const findings = [
      ...result.findings.filter((f) => f.code.startsWith('HUB_')),
      ...result.hub.findings.filter((f) => !f.code.startsWith('ENDPOINT_')),
    ];
    const seen = new Set<string>();
    const unique = findings.filter((f) => (seen.has(f.code) ? false : (seen.add(f.code), true)));
    return { findings: unique, evidence: traceEvidence(result.hub), detail: traceLine(result.hub) };
  },
};
