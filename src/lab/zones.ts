import type { DnsRecord } from './dns-server';
import type { LabDnsView } from './types';

/** Private-but-outside-the-VNET answers. Nobody listens at either; the first must never be dialled at all. */
export const OUTSIDE_VNET_ADDRESS = '10.99.0.4';
export const OUTSIDE_VNET_LOOPBACK_ADDRESS = '127.99.0.4';

/** The three names behind one service: the public name, its privatelink alias and the Azure-internal name. */
export interface ServiceNames {
  host: string;
  privatelinkHost: string;
  /** What the public resolver's privatelink CNAME points at (stands in for Azure's cloudapp names). */
  internalHost: string;
  privateAddress: string;
  publicAddress: string;
}

/** The names of a service `<name>.<suffix>` as Azure lays them out. */
export function serviceNames(
  name: string,
  suffix: string,
  privateAddress: string,
  publicAddress: string,
): ServiceNames {
  return {
    host: `${name}.${suffix}`,
    privatelinkHost: `${name}.privatelink.${suffix}`,
    internalHost: `${name}-prod.westeurope.cloudapp.azure.com`,
    privateAddress,
    publicAddress,
  };
}

/**
 * The records for one service in one DNS view. Every view sets all three names (undefined = delete), so switching
 * views never leaves a stale record behind.
 */
export function viewRecords(view: LabDnsView, n: ServiceNames): Record<string, DnsRecord | undefined> {
  const cname = (target: string): DnsRecord => ({ cname: target, ttl: 60 });
  const a = (...addresses: string[]): DnsRecord => ({ a: addresses, ttl: 10 });
  const internal = a(n.publicAddress);
  switch (view) {
    case 'private':
      return {
        [n.host]: cname(n.privatelinkHost),
        [n.privatelinkHost]: a(n.privateAddress),
        [n.internalHost]: internal,
      };
    case 'public':
      return {
        [n.host]: cname(n.privatelinkHost),
        [n.privatelinkHost]: cname(n.internalHost),
        [n.internalHost]: internal,
      };
    case 'no-privatelink':
      return { [n.host]: cname(n.internalHost), [n.privatelinkHost]: undefined, [n.internalHost]: internal };
    case 'privatelink-missing':
      return { [n.host]: cname(n.privatelinkHost), [n.privatelinkHost]: undefined, [n.internalHost]: internal };
    case 'rebind-filter':
      // the private answer as in the 'private' view, but behind the filter: an A query gets NOERROR and nothing
      return {
        [n.host]: cname(n.privatelinkHost),
        [n.privatelinkHost]: { ...a(n.privateAddress), rebindFiltered: true },
        [n.internalHost]: internal,
      };
    case 'outside-vnet':
      return {
        [n.host]: cname(n.privatelinkHost),
        [n.privatelinkHost]: a(OUTSIDE_VNET_ADDRESS),
        [n.internalHost]: internal,
      };
    case 'outside-vnet-loopback':
      return {
        [n.host]: cname(n.privatelinkHost),
        [n.privatelinkHost]: a(OUTSIDE_VNET_LOOPBACK_ADDRESS),
        [n.internalHost]: internal,
      };
    case 'mixed':
      return {
        [n.host]: cname(n.privatelinkHost),
        [n.privatelinkHost]: a(n.privateAddress, n.publicAddress),
        [n.internalHost]: internal,
      };
    case 'nxdomain':
    case 'servfail':
    case 'drop':
      return { [n.host]: { behaviour: view }, [n.privatelinkHost]: a(n.privateAddress), [n.internalHost]: internal };
  }
}

/** Every view name, for validation and the CLI. */
export const DNS_VIEWS: readonly LabDnsView[] = [
  'private',
  'public',
  'no-privatelink',
  'privatelink-missing',
  'rebind-filter',
  'outside-vnet',
  'outside-vnet-loopback',
  'mixed',
  'nxdomain',
  'servfail',
  'drop',
];
