import type { FindingSpec } from '../spec';

/**
 * Where the hub connection went: the address the socket reached, or — through a CONNECT tunnel, whose far end the
 * device cannot see — the proxy.
 */
type HubPeer = { hub: string; address?: string; proxy?: string };
const where = (e: HubPeer): string =>
  e.proxy ? ` through the HTTP CONNECT proxy ${e.proxy}` : e.address ? ` (${e.address})` : '';

type HubAddress = {
  hub: string;
  addresses: string[];
  expectedCidrs: string[];
};

/** The hub refused the device, at the address the socket reached or through a proxy (whose socket is all we see). */
type HubUnauthorized = { hub: string; deviceId: string; address?: string; proxy?: string; detail: string };

/** Findings about the IoT hub that DPS assigned (owned by the hand-off module). Codes never change once shipped. */
export const hubFindings = {
  HUB_PUBLIC_ADDRESS: {
    severity: 'error',
    title: 'Assigned hub resolves to a public address',
    message: (e: HubAddress) =>
      `DPS assigned the hub ${e.hub}, but it resolves to the public address ${e.addresses.join(', ')} ` +
      `(expected ${e.expectedCidrs.join(', ')}): the hub's private DNS zone is not reachable from this device.`,
    remediation: (e: HubAddress) =>
      `Link the private DNS zone privatelink.azure-devices.net (with the A record of ${e.hub}'s private endpoint) to the resolver's VNET, ` +
      'or forward the azure-devices.net zone (not the privatelink one) to a resolver inside the VNET (Azure DNS 168.63.129.16). ' +
      'Linking only the DPS zone is not enough. If the enrollment uses lowest-latency allocation, note that it is unreliable inside ' +
      'a VNET: DPS may pick a hub whose private endpoint this network does not have — prefer static or weighted allocation.',
  } satisfies FindingSpec<HubAddress>,
  HUB_OUTSIDE_VNET: {
    severity: 'error',
    title: 'Assigned hub resolves to a private address outside the expected ranges',
    message: (e: HubAddress) =>
      `DPS assigned the hub ${e.hub}; it resolves to ${e.addresses.join(', ')}, a private address outside ${e.expectedCidrs.join(', ')}.`,
    remediation: (e: HubAddress) =>
      `Check which VNET holds ${e.hub}'s private endpoint (peering, overlapping ranges) and that privatelink.azure-devices.net has ` +
      "the A record of that endpoint; add the endpoint's subnet to network.expectedCidrs if it is legitimately elsewhere.",
  } satisfies FindingSpec<HubAddress>,
  HUB_UNRESOLVED: {
    severity: 'error',
    title: 'Assigned hub does not resolve',
    message: (e: { hub: string; detail: string }) =>
      `DPS assigned the hub ${e.hub}, but it does not resolve: ${e.detail}.`,
    remediation: (e: { hub: string }) =>
      `Add the A record of ${e.hub}'s private endpoint to privatelink.azure-devices.net (private endpoint DNS zone group), ` +
      "and link that zone to the resolver's VNET. If the enrollment uses lowest-latency allocation, note that it is unreliable " +
      'inside a VNET: DPS may pick a hub this network has no private endpoint for — prefer static or weighted allocation.',
  } satisfies FindingSpec<{ hub: string; detail: string }>,
  HUB_CROSS_CLOUD: {
    severity: 'error',
    title: 'DPS and hub are in different Azure clouds',
    message: (e: { dps: string; dpsCloud: string; hub: string; hubCloud: string }) =>
      `DPS ${e.dps} is in the ${e.dpsCloud} cloud but assigned the hub ${e.hub} in the ${e.hubCloud} cloud.`,
    remediation: () =>
      'DPS can only link hubs of its own Azure cloud: link a hub from the same cloud to the DPS instance and fix the enrollment allocation.',
  } satisfies FindingSpec<{ dps: string; dpsCloud: string; hub: string; hubCloud: string }>,
  HUB_UNAUTHORIZED: {
    severity: 'error',
    title: 'Hub rejected the device',
    message: (e: HubUnauthorized) =>
      `The hub ${e.hub}${e.proxy ? `, reached through the HTTP CONNECT proxy ${e.proxy},` : e.address ? ` (${e.address})` : ''} rejected device ${e.deviceId}: ${e.detail}.` +
      (e.proxy ? ` The proxy resolved ${e.hub} itself: the device cannot see which address it connected to.` : ''),
    remediation: (e: HubUnauthorized) =>
      (e.proxy
        ? `First check the proxy's DNS: if ${e.proxy} resolves ${e.hub} to the hub's public endpoint (public access disabled answers "not authorized"), ` +
          'link its resolver to privatelink.azure-devices.net or forward azure-devices.net to 168.63.129.16 inside the VNET, or bypass the proxy for the Azure endpoints. '
        : `If ${e.hub} resolved publicly, fix the hub's private DNS zone first (public access is likely disabled). `) +
      `Otherwise the device identity ${e.deviceId} may have been deleted or disabled on the hub: re-provision (forceReprovision) to re-create it.`,
  } satisfies FindingSpec<HubUnauthorized>,
  HUB_CONNECTION_LOST: {
    severity: 'error',
    title: 'The hub closed the connection before answering CONNECT',
    message: (e: HubPeer & { detail: string }) =>
      `The TLS handshake with the hub ${e.hub}${where(e)} completed, but the connection closed ` +
      `before the hub answered the MQTT CONNECT with a CONNACK: nothing rejected the device (${e.detail}).` +
      (e.proxy ? ' The proxy or the hub behind it ended the tunnel (the device cannot see which).' : ''),
    remediation: (e: HubPeer) =>
      `Retry; if it persists, check for a middlebox or TLS-inspecting proxy on the path to ${e.hub} that ends MQTT ` +
      'connections, and Azure Service Health for the hub.' +
      (e.proxy ? ` Check the log of the proxy ${e.proxy} for the tunnel to ${e.hub}.` : ''),
  } satisfies FindingSpec<HubPeer & { detail: string }>,
  HUB_TIMEOUT: {
    severity: 'error',
    title: 'Opening the hub connection did not finish in time',
    message: (e: HubPeer & { timeoutMs: number; tlsCompleted: boolean }) =>
      e.tlsCompleted === true
        ? `The TLS handshake with the hub ${e.hub}${where(e)} completed, but the hub did not accept the MQTT connection within ${e.timeoutMs} ms.`
        : `No TLS handshake with the hub ${e.hub}${where(e)} completed within ${e.timeoutMs} ms: nothing rejected the device, nothing answered.`,
    remediation: (e: HubPeer & { tlsCompleted: boolean }) =>
      e.tlsCompleted === true
        ? `The network path to ${e.hub} works; check Azure Service Health and the hub's metrics (throttling), and retry.`
        : `Check the route to ${e.hub}'s private endpoint (VPN / peering, NSG rules for 8883 or 443), that the endpoint is Approved, ` +
          'and that no middlebox or proxy holds the connection open without passing TLS through.' +
          (e.proxy ? ` Through the proxy ${e.proxy}, check its log and its route to the private endpoint.` : ''),
  } satisfies FindingSpec<HubPeer & { timeoutMs: number; tlsCompleted: boolean }>,
  HUB_POSTURE_NOT_REPORTED: {
    severity: 'warning',
    title: 'The private-link posture could not be written to the device twin',
    message: (e: { hub: string; deviceId: string; property: string; attempts: number; detail: string }) =>
      `Writing the reported property ${e.property} of device ${e.deviceId} on ${e.hub} failed ${e.attempts} time(s): ` +
      `${e.detail}. The device works; the fleet's posture queries will not see its current state.`,
    remediation: (e: { property: string }) =>
      "Check the hub's twin quota (reported properties are limited to 32 KB: other properties may fill it), throttling " +
      `in the hub's metrics, and that nothing else writes ${e.property}; the next connection reports again.`,
  } satisfies FindingSpec<{ hub: string; deviceId: string; property: string; attempts: number; detail: string }>,
  // Each spec has its own evidence type; `any` is what lets them share one record.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} satisfies Record<string, FindingSpec<any>>;
