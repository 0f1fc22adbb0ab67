import type { Client } from 'azure-iot-device';
import { provisionDevice } from '../provision/provision';
import type { ProvisionOptions, ProvisioningResult } from '../provision/types';
import { createHubClient, HubConnectionError, openHubClient, type HubClientOptions } from './hub-client';

/**
 * Provision (or reuse the cached assignment), then open a pinned hub client. When a cached assignment is rejected by
 * the hub (HUB_UNAUTHORIZED: the identity was deleted or moved), provisions again once, ignoring the cache.
 *
 * @param options - As for {@link provisionDevice}; its `tls`, `proxy`, `network.expectedCidrs` and the result's
 *   transport also configure the hub client.
 * @param hubOptions - Overrides for the hub client (see {@link HubClientOptions}); they win over the values above.
 * @returns The open client, the provisioning result it was built from, and whether the cache was dropped and the
 *   device provisioned again.
 * @throws ProvisioningError or HubConnectionError (both with findings), InvalidOptionError, AbortedError.
 */
export async function connectDevice(
  options: ProvisionOptions,
  hubOptions: HubClientOptions = {},
): Promise<{ client: Client; result: ProvisioningResult; reprovisioned: boolean }> {
  const hubOpts = (r: ProvisioningResult): HubClientOptions => ({
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.proxy ? { proxy: options.proxy } : {}),
    // The caller's ranges, not the copy inside the result: the hub is checked against what the device was told.
    ...(Array.isArray(options.network?.expectedCidrs) ? { expectedCidrs: [...options.network.expectedCidrs] } : {}),
    transport: r.transport,
    ...hubOptions,
  });
  const first = await provisionDevice(options);
  const client = createHubClient(first, options.auth, hubOpts(first));
  try {
    await openHubClient(client);
    return { client, result: first, reprovisioned: false };
  } catch (err) {
    if (!(first.fromCache && err instanceof HubConnectionError && err.code === 'HUB_UNAUTHORIZED')) throw err;
  }
  const second = await provisionDevice({ ...options, forceReprovision: true });
  const again = createHubClient(second, options.auth, hubOpts(second));
  await openHubClient(again);
  return { client: again, result: second, reprovisioned: true };
}
