import { createHubClient, openHubClient } from '../handoff/hub-client';
import type { EndpointReport } from '../endpoint/types';
import type { CacheRecord } from '../provision/cache';
import type { ProvisioningResult } from '../provision/types';
import { authOf, registrationTimeoutMs } from './registration';
import { caOf } from './tls-handshake';
import { HUB_WS_PORT } from './tcp-reach';
import type { CheckContext } from './types';

/** What the cached hub said to the cached identity: it let the device in, refused it, or could not be asked. */
export type CachedIdentity =
  { kind: 'accepted' } | { kind: 'refused'; code: string } | { kind: 'unknown'; code: string };

/**
 * The cached assignment as the result the device app would build its hub client from: the cached hub and device id,
 * with the hub's addresses as dps-cache verified them just now (the client pins them; nothing is resolved again).
 */
function cachedResult(ctx: CheckContext, record: CacheRecord, hub: EndpointReport): ProvisioningResult {
  return {
    assignedHub: record.assignedHub,
    deviceId: record.deviceId,
    registrationId: record.registrationId,
    fromCache: true,
    // Not read by the hub client; dps-dns's report when it ran, else the hub's, so the shape stays whole.
    dps: ctx.state.dpsEndpoint ?? hub,
    hub,
    tls: record.tls,
    findings: [],
    provisionedAt: record.provisionedAt,
    transport: ctx.config.transport,
  };
}

/**
 * Opens (then closes) a hub connection as the cached identity, with the configured credential: what the device app
 * does on start before it ever asks DPS. Undefined when there is no usable cached assignment to try.
 */
export async function tryCachedIdentity(ctx: CheckContext): Promise<CachedIdentity | undefined> {
  const record = ctx.state.cachedAssignment;
  const hub = ctx.state.cachedHubEndpoint;
  if (!record || !hub) return undefined;
  const { config, settings } = ctx;
  const ca = caOf(ctx);
  try {
    const client = createHubClient(cachedResult(ctx, record, hub), authOf(ctx), {
      transport: config.transport,
      policy: config.policy,
      expectedCidrs: config.expectedCidrs,
      port: config.hubPort,
      wsPort: settings.hubWsPort ?? HUB_WS_PORT,
      ...(ca ? { tls: { ca } } : {}),
      ...(config.proxy && config.transport === 'mqtt-ws' ? { proxy: config.proxy } : {}),
      ...(settings.connector ? { connector: settings.connector } : {}),
    });
    try {
      await openHubClient(client, {
        timeoutMs: registrationTimeoutMs(settings.timeoutMs),
        ...(settings.signal ? { signal: settings.signal } : {}),
      });
    } finally {
      await client.close().catch(() => undefined);
    }
    return { kind: 'accepted' };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const name = typeof code === 'string' ? code : 'failed';
    return name === 'HUB_UNAUTHORIZED' ? { kind: 'refused', code: name } : { kind: 'unknown', code: name };
  }
}
