/** The Azure clouds a DPS or IoT hub name can belong to. */
export type AzureCloudName = 'public' | 'government' | 'china';

/** The DNS names of one Azure cloud that matter for DPS over Private Link. */
export interface AzureCloud {
  /** Which cloud: `public` (Azure), `government` (Azure Government, `.us`) or `china` (Azure China, `.cn`). */
  name: AzureCloudName;
  /** DPS service endpoints end with this: `<name>.<dpsSuffix>`. */
  dpsSuffix: string;
  /** IoT hub host names end with this. */
  hubSuffix: string;
  /** The private DNS zone of DPS private endpoints. */
  dpsPrivateLinkZone: string;
  /** The private DNS zone of IoT hub private endpoints. */
  hubPrivateLinkZone: string;
  /** The private DNS zone of the hub's built-in Event Hub-compatible endpoint. */
  serviceBusPrivateLinkZone: string;
  /** The global device endpoint, which never goes through a private endpoint. */
  globalDpsEndpoint: string;
}

/** Azure public, Government (.us) and China (.cn), as design.md §2 lists them. */
export const AZURE_CLOUDS: readonly AzureCloud[] = [
  {
    name: 'public',
    dpsSuffix: 'azure-devices-provisioning.net',
    hubSuffix: 'azure-devices.net',
    dpsPrivateLinkZone: 'privatelink.azure-devices-provisioning.net',
    hubPrivateLinkZone: 'privatelink.azure-devices.net',
    serviceBusPrivateLinkZone: 'privatelink.servicebus.windows.net',
    globalDpsEndpoint: 'global.azure-devices-provisioning.net',
  },
  {
    name: 'government',
    dpsSuffix: 'azure-devices-provisioning.us',
    hubSuffix: 'azure-devices.us',
    dpsPrivateLinkZone: 'privatelink.azure-devices-provisioning.us',
    hubPrivateLinkZone: 'privatelink.azure-devices.us',
    serviceBusPrivateLinkZone: 'privatelink.servicebus.usgovcloudapi.net',
    globalDpsEndpoint: 'global.azure-devices-provisioning.us',
  },
  {
    name: 'china',
    dpsSuffix: 'azure-devices-provisioning.cn',
    hubSuffix: 'azure-devices.cn',
    dpsPrivateLinkZone: 'privatelink.azure-devices-provisioning.cn',
    hubPrivateLinkZone: 'privatelink.azure-devices.cn',
    serviceBusPrivateLinkZone: 'privatelink.servicebus.chinacloudapi.cn',
    globalDpsEndpoint: 'global.azure-devices-provisioning.cn',
  },
];

/** What a host name is, as far as its suffix tells. */
export interface HostIdentity {
  cloud?: AzureCloud;
  role: 'dps' | 'hub' | 'other';
  /** The host is itself inside a privatelink zone (`x.privatelink.azure-devices-provisioning.net`). */
  isPrivateLinkName: boolean;
}

function normalise(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

function endsWithZone(host: string, zone: string): boolean {
  return host === zone || host.endsWith(`.${zone}`);
}

/** The cloud and role a host name belongs to, from its suffix. */
export function identifyHost(host: string): HostIdentity {
  const h = normalise(host);
  for (const cloud of AZURE_CLOUDS) {
    // The privatelink zones are sub-zones of the service suffixes, so test them first.
    if (endsWithZone(h, cloud.dpsPrivateLinkZone)) return { cloud, role: 'dps', isPrivateLinkName: true };
    if (endsWithZone(h, cloud.hubPrivateLinkZone)) return { cloud, role: 'hub', isPrivateLinkName: true };
    if (endsWithZone(h, cloud.dpsSuffix)) return { cloud, role: 'dps', isPrivateLinkName: false };
    if (endsWithZone(h, cloud.hubSuffix)) return { cloud, role: 'hub', isPrivateLinkName: false };
  }
  return { role: 'other', isPrivateLinkName: false };
}

/** The Azure cloud a DPS or IoT hub host name belongs to (same values as `EndpointReport.cloud`), or undefined. */
export function cloudOf(host: string): AzureCloudName | undefined {
  return identifyHost(host).cloud?.name;
}

/** The DNS names of a cloud, by name. */
export function azureCloud(name: AzureCloudName): AzureCloud {
  const cloud = AZURE_CLOUDS.find((c) => c.name === name);
  if (!cloud) throw new RangeError(`unknown Azure cloud ${JSON.stringify(name)}`);
  return cloud;
}

/** True for `global.azure-devices-provisioning.net` and its Government/China twins. */
export function isGlobalDpsEndpoint(host: string): boolean {
  const h = normalise(host);
  return AZURE_CLOUDS.some((c) => c.globalDpsEndpoint === h);
}

/** The privatelink zone a name of this role should be CNAMEd into; for `other`, any known privatelink zone. */
export function privateLinkZonesFor(role: 'dps' | 'hub' | 'other', cloud?: AzureCloud): string[] {
  const clouds = cloud ? [cloud] : AZURE_CLOUDS;
  if (role === 'dps') return clouds.map((c) => c.dpsPrivateLinkZone);
  if (role === 'hub') return clouds.map((c) => c.hubPrivateLinkZone);
  return clouds.flatMap((c) => [c.dpsPrivateLinkZone, c.hubPrivateLinkZone, c.serviceBusPrivateLinkZone]);
}

/** True when the name lies inside one of the zones. */
export function isInZone(name: string, zones: readonly string[]): boolean {
  const n = normalise(name);
  return zones.some((z) => endsWithZone(n, z));
}
