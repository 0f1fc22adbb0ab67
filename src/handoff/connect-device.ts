import type { Client } from 'azure-iot-device';
import { InvalidOptionError } from '../errors';
import { describe } from '../endpoint/address';
import { provisionDevice } from '../provision/provision';
import type { ProgressEvent, ProvisionOptions, ProvisioningResult } from '../provision/types';
import {
  createHubClient,
  HubConnectionError,
  openHubClient,
  presetUserAgent,
  type HubClientOptions,
} from './hub-client';
import {
  noteConnection,
  reportPosture,
  resolvePostureOptions,
  type PostureOptions,
  type PostureReport,
} from './posture';
import { warmUpDuring } from './warm-up';

/** Options of {@link connectDevice} beyond provisioning and the hub client. */
export interface ConnectDeviceOptions {
  /**
   * Report the private-link posture to the device twin once the hub connection is open (see reportPosture): `true`
   * for the defaults, or its options. Default false. With `cache.path` and no `digestPath`, the digest of the last
   * posture written is kept in `<cache.path>.posture`, so a restart does not re-send an unchanged posture.
   */
  posture?: boolean | PostureOptions;
}

/** What {@link connectDevice} resolves with. */
export interface ConnectedDevice {
  client: Client;
  result: ProvisioningResult;
  /** The hub refused the cached identity and the device provisioned again. */
  reprovisioned: boolean;
  /**
   * With `posture` on: the posture report, running beside the app (telemetry is not held up by it). Never rejects.
   */
  posture?: Promise<PostureReport>;
}

/**
 * Provision (or reuse the cached assignment), then open a pinned hub client. When a cached assignment is rejected by
 * the hub (HUB_UNAUTHORIZED: the identity was deleted or moved), provisions again once, ignoring the cache.
 *
 * @param options - As for {@link provisionDevice}; its `tls`, `proxy`, `network.expectedCidrs` and the result's
 *   transport also configure the hub client.
 * @param hubOptions - Overrides for the hub client (see {@link HubClientOptions}); they win over the values above.
 * @param deviceOptions - `posture`: report the private-link posture to the twin (see {@link ConnectDeviceOptions}).
 * @returns The open client, the provisioning result it was built from, whether the cache was dropped and the device
 *   provisioned again, and (with `posture`) the posture report in flight.
 * @throws ProvisioningError or HubConnectionError (both with findings), InvalidOptionError, AbortedError.
 */
export async function connectDevice(
  options: ProvisionOptions,
  hubOptions: HubClientOptions = {},
  deviceOptions: ConnectDeviceOptions = {},
): Promise<ConnectedDevice> {
  const posture = checkPostureOption(deviceOptions, options);
  const hubOpts = (r: ProvisioningResult): HubClientOptions => ({
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.proxy ? { proxy: options.proxy } : {}),
    // The caller's ranges, not the copy inside the result: the hub is checked against what the device was told.
    ...(Array.isArray(options.network?.expectedCidrs) ? { expectedCidrs: [...options.network.expectedCidrs] } : {}),
    transport: r.transport,
    ...hubOptions,
  });
  const dialled = watchDpsAddress(options);
  const first = await provisionDevice(dialled.options);
  const client = createHubClient(first, options.auth, hubOpts(first));
  // The app gets the client open, so it cannot set productInfo first: nothing is lost by naming the agent here.
  presetUserAgent(client);
  try {
    await openHubClient(client);
    return withPosture({ client, result: first, reprovisioned: false }, posture, dialled.address());
  } catch (err) {
    if (!(first.fromCache && err instanceof HubConnectionError && err.code === 'HUB_UNAUTHORIZED')) throw err;
  }
  const second = await provisionDevice({ ...dialled.options, forceReprovision: true });
  const again = createHubClient(second, options.auth, hubOpts(second));
  presetUserAgent(again);
  await openHubClient(again);
  return withPosture({ client: again, result: second, reprovisioned: true }, posture, dialled.address());
}

/** The posture options, checked before anything is dialled; undefined when posture reporting is off. */
function checkPostureOption(
  deviceOptions: ConnectDeviceOptions,
  options: ProvisionOptions,
): PostureOptions | undefined {
  if (typeof deviceOptions !== 'object' || deviceOptions === null)
    throw new InvalidOptionError(
      'deviceOptions',
      `expected an object, got ${describe(deviceOptions)}`,
      'Pass { posture? } or leave it out.',
    );
  const p = deviceOptions.posture;
  if (p === undefined || p === false) return undefined;
  if (p !== true && (typeof p !== 'object' || p === null))
    throw new InvalidOptionError(
      'deviceOptions.posture',
      `expected true, false or posture options, got ${describe(p)}`,
      'Pass true, or { propertyName?, … }.',
    );
  const given = p === true ? {} : p;
  resolvePostureOptions(given, 'deviceOptions.posture.');
  const cachePath = typeof options?.cache?.path === 'string' ? options.cache.path : undefined;
  return given.digestPath === undefined && cachePath ? { ...given, digestPath: `${cachePath}.posture` } : { ...given };
}

/**
 * Notes the address the DPS TLS connection went to from provisioning's own progress events, keeping the caller's
 * callback; the same events time the warm-up of what comes next. A callback of the wrong type is passed on
 * untouched, so provisionDevice still names it.
 */
function watchDpsAddress(options: ProvisionOptions): { options: ProvisionOptions; address(): string | undefined } {
  const theirs = options?.onProgress;
  if (theirs !== undefined && typeof theirs !== 'function') return { options, address: () => undefined };
  let address: string | undefined;
  const warmUp = warmUpDuring();
  const onProgress = (event: ProgressEvent): void => {
    if (event.step === 'tls' && typeof event.detail.remoteAddress === 'string') address = event.detail.remoteAddress;
    warmUp(event);
    theirs?.(event);
  };
  return { options: { ...options, onProgress }, address: () => address };
}

function withPosture(
  connected: ConnectedDevice,
  posture: PostureOptions | undefined,
  dpsAddress: string | undefined,
): ConnectedDevice {
  noteConnection(connected.result, { reprovisioned: connected.reprovisioned, ...(dpsAddress ? { dpsAddress } : {}) });
  if (!posture) return connected;
  return { ...connected, posture: reportPosture(connected.client, connected.result, posture) };
}
