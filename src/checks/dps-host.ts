import { ipFamily, parseCidrs } from '../endpoint/address';
import { hostNameFindings } from '../endpoint/verify';
import { identifyHost, isGlobalDpsEndpoint } from '../endpoint/clouds';
import type { Finding } from '../findings/types';
import type { Check } from './types';

/** Finding codes about the host name itself; dps-host reports them, so dps-dns leaves them out. */
export const HOST_FORM_CODES: ReadonlySet<string> = new Set([
  'ENDPOINT_GLOBAL_WITH_PRIVATE_LINK',
  'ENDPOINT_IS_IP_ADDRESS',
  'ENDPOINT_PRIVATELINK_NAME',
]);

/** `dps-host`: the host is a DPS service endpoint `<name>.azure-devices-provisioning.net`, not global, not an IP. */
export const dpsHost: Check = {
  id: 'dps-host',
  title: 'Host is the DPS service endpoint (not global, not an IP address)',
  section: 'configuration',
  run(ctx) {
    const host = ctx.config.provisioningHost as string;
    // The same findings verifyEndpoint makes for the name, from the same function.
    const findings: Finding[] = hostNameFindings(host, parseCidrs(ctx.config.expectedCidrs, '--expect-cidr'));
    if (ipFamily(host) !== undefined) return { findings, evidence: { host, kind: 'ip-literal' } };
    const id = identifyHost(host);
    const evidence = {
      host,
      role: id.role,
      cloud: id.cloud?.name ?? null,
      privateLinkName: id.isPrivateLinkName,
      global: isGlobalDpsEndpoint(host),
    };
    if (id.role !== 'dps') {
      return {
        result: findings.length ? undefined : 'warning',
        findings,
        evidence,
        detail: `${host} is not under a DPS suffix (azure-devices-provisioning.net/.us/.cn)`,
      };
    }
    return { findings, evidence, detail: `${host} (Azure ${id.cloud?.name ?? 'unknown'} cloud)` };
  },
};
