import { credentialFingerprint, readCache, type CacheRead, type CacheRecord } from '../provision/cache';
import type { DeviceAuth } from '../provision/types';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { resolveFor, traceEvidence, traceLine } from './dps-dns';
import type { Check, CheckContext, CheckOutcome } from './types';

/** The credential fingerprint the device app stores with its assignment, from the configured credential. */
function credentialOf(ctx: CheckContext): string | undefined {
  if (ctx.identity) return credentialFingerprint({ cert: ctx.identity.certPem } as DeviceAuth);
  if (ctx.loaded.symmetricKey) return credentialFingerprint({ symmetricKey: ctx.loaded.symmetricKey });
  return undefined;
}

/** `3 h 5 min`, `12 min`, `40 s`: how long ago the assignment was made. */
export function ageText(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

/** A cache that cannot be used: a finding for a bad file, else (a miss) why the device will register again. */
function notUsable(file: string, read: Exclude<CacheRead, { kind: 'hit' }>): CheckOutcome {
  if (read.kind === 'corrupt' || read.kind === 'untrusted') {
    const code = read.kind === 'corrupt' ? 'DPS_CACHE_CORRUPT' : 'DPS_CACHE_UNTRUSTED';
    return {
      findings: [createFinding(code, { path: file, detail: read.detail })],
      evidence: { file, read: read.kind },
    };
  }
  const absent = read.reason === 'no cache file';
  return {
    result: absent ? 'ok' : 'warning',
    evidence: { file, read: 'miss', reason: read.reason },
    detail: `${read.reason}: the device registers with DPS on its next start`,
  };
}

/** A usable cached assignment: the hub it names, resolved the way the device will resolve it. */
async function cachedHub(ctx: CheckContext, file: string, record: CacheRecord): Promise<CheckOutcome> {
  ctx.state.cachedAssignment = record;
  const ageSeconds = (ctx.settings.now().getTime() - Date.parse(record.provisionedAt)) / 1000;
  const report = await resolveFor(ctx, record.assignedHub, 'hub');
  ctx.state.cachedHubEndpoint = report;
  const findings: Finding[] = report.findings.filter((f) => !f.code.startsWith('ENDPOINT_'));
  return {
    findings,
    evidence: {
      file,
      assignedHub: record.assignedHub,
      deviceId: record.deviceId,
      provisionedAt: record.provisionedAt,
      ageSeconds: Math.round(ageSeconds),
      credentialMatches: true,
      hub: traceEvidence(report),
    },
    detail: `${record.assignedHub} as ${record.deviceId}, cached ${ageText(ageSeconds)} ago for this credential; ${traceLine(report)}`,
  };
}

/**
 * `dps-cache` (with --cache or "cacheFile"): the assignment the device app cached — hub, device id, age, whether it
 * was made with this credential — and the cached hub's DNS, which is where the device connects without asking DPS.
 */
export const dpsCache: Check = {
  id: 'dps-cache',
  title: 'Cached assignment is usable and its hub resolves inside the VNET',
  section: 'provisioning',
  // Reads the file and resolves the cached hub: nothing from earlier checks.
  after: [],
  async run(ctx) {
    const file = ctx.config.cacheFile;
    if (!file) return { result: 'skipped', detail: 'pass --cache FILE to check the cached assignment' };
    const credential = credentialOf(ctx);
    const { provisioningHost, idScope, registrationId } = ctx.config;
    if (!credential || !idScope || !registrationId) {
      return {
        result: 'skipped',
        detail: 'needs --id-scope, --registration-id and the credential to tell whose assignment the cache holds',
      };
    }
    const read = await readCache(file, {
      provisioningHost: provisioningHost as string,
      idScope,
      registrationId,
      credential,
    });
    return read.kind === 'hit' ? cachedHub(ctx, file, read.record) : notUsable(file, read);
  },
};
