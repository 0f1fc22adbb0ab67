import { tlsEnvironmentFinding } from '../connection/tls-environment';
import type { Check } from './types';

/**
 * `tls-environment`: NODE_TLS_REJECT_UNAUTHORIZED=0 or TLS-weakening NODE_OPTIONS in the environment the run sees.
 * dps-private-link's sockets ignore them, but every other TLS client in the device's process does not: a warning.
 */
export const tlsEnvironment: Check = {
  id: 'tls-environment',
  title: 'No TLS-weakening settings in the environment (NODE_TLS_REJECT_UNAUTHORIZED, NODE_OPTIONS)',
  section: 'tls',
  run(ctx) {
    const finding = tlsEnvironmentFinding(ctx.settings.env ?? process.env);
    if (!finding) return { evidence: { settings: [] }, detail: 'none' };
    const settings = finding.evidence['settings'] as string[];
    return { findings: [finding], evidence: { settings }, detail: settings.join(', ') };
  },
};
