import { traceEvidence, traceLine } from './dps-dns';
import type { Check } from './types';

/** `hub-dns`: the hub DPS assigned resolves to a private address inside the VNET (HUB_* findings). */
export const hubDns: Check = {
  id: 'hub-dns',
  title: 'Assigned hub resolves to a private address inside the VNET',
  section: 'hub',
  dependsOn: ['dps-register'],
  run(ctx) {
    // provisionDevice already verified the assigned hub with the same resolvers and policy: reuse its report.
    const result = ctx.state.registration;
    // dependsOn dps-register, which only passes once it stored its result: absent means the registry changed.
    if (!result) return { result: 'skipped', detail: 'dps-register left no registration result' };
    ctx.state.hubEndpoint = result.hub;
    const findings = [
      ...result.findings.filter((f) => f.code.startsWith('HUB_')),
      ...result.hub.findings.filter((f) => !f.code.startsWith('ENDPOINT_')),
    ];
    const seen = new Set<string>();
    const unique = findings.filter((f) => (seen.has(f.code) ? false : (seen.add(f.code), true)));
    return { findings: unique, evidence: traceEvidence(result.hub), detail: traceLine(result.hub) };
  },
};
