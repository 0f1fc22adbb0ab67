import type { FindingSpec } from '../spec';

// Findings about name resolution and the endpoint name itself (DNS_*, ENDPOINT_*), owned by src/endpoint.
// Messages name the host, resolver and addresses from the evidence; remediations name the zone, setting or resource.

/** Fields most DNS evidence carries. */
export interface DnsEvidence {
  [key: string]: unknown;
  host: string;
  /** `'system'`, `'hosts-file'` or the DNS server as given. */
  resolver: string;
  chain?: string[];
  /** The privatelink zone a name of this role belongs in, e.g. `privatelink.azure-devices-provisioning.net`. */
  privateLinkZone?: string;
  /** The public zone to forward, e.g. `azure-devices-provisioning.net`. */
  publicZone?: string;
}

/** DNS_HOSTS_FILE_OVERRIDE: the entry, what DNS says instead, and the findings the entry's answer caused. */
type HostsOverrideEvidence = DnsEvidence & {
  hostsFile: string;
  addresses: string[];
  dnsAddresses?: string[];
  /** Codes of the findings about the answer the hosts file gave (when getaddrinfo answered from it). */
  causes?: string[];
};

function by(resolver: string): string {
  if (resolver === 'system') return 'the system resolver';
  if (resolver === 'hosts-file') return 'the hosts file';
  return `DNS server ${resolver}`;
}

function chainText(chain: string[] | undefined): string {
  return chain && chain.length > 1 ? ` (chain ${chain.join(' → ')})` : '';
}

function list(items: readonly string[] | undefined): string {
  return items && items.length ? items.join(', ') : '(none)';
}

function zoneFix(e: { privateLinkZone?: string; publicZone?: string }): string {
  const zone =
    e.privateLinkZone ?? 'privatelink.azure-devices-provisioning.net (DPS) or privatelink.azure-devices.net (IoT hub)';
  const pub = e.publicZone ?? 'azure-devices-provisioning.net / azure-devices.net';
  return (
    `Link the private DNS zone ${zone} to the VNET whose resolver the device uses, or, for on-premises resolvers, ` +
    `add a conditional forwarder for the public zone ${pub} (not the privatelink zone) to a resolver inside the VNET ` +
    `(Azure DNS 168.63.129.16 is only reachable from inside the VNET, e.g. via an Azure DNS Private Resolver inbound endpoint).`
  );
}

/** Findings about DNS and endpoint names. Codes never change once shipped. */
export const dnsFindings = {
  DNS_NXDOMAIN: {
    severity: 'error',
    title: 'The host name does not exist (NXDOMAIN)',
    message: (e: DnsEvidence) =>
      e.resolver === 'system'
        ? `the system resolver answered NXDOMAIN for ${e.host}, or NOERROR with no address: getaddrinfo reports both ` +
          `as ENOTFOUND, and the second is what a resolver's DNS-rebinding filter sends for a private answer.`
        : `${by(e.resolver)} answered NXDOMAIN for ${e.host}${chainText(e.chain)}: the name does not exist there.`,
    remediation: (e: DnsEvidence) =>
      `Check the spelling of ${e.host} against the resource's "Service endpoint" (DPS) or "Hostname" (IoT hub) in the Azure portal. ` +
      `If the name is right, ${by(e.resolver)} is not forwarding Azure names: forward ${e.publicZone ?? 'the azure-devices-provisioning.net / azure-devices.net zones'} to a resolver that can resolve them.` +
      (e.resolver === 'system'
        ? ` To tell a missing name from a filtered private answer, run dps-check with --dns-server set to the ` +
          `resolver the device uses (the nameserver in /etc/resolv.conf): it shows the response code.`
        : ''),
  } satisfies FindingSpec<DnsEvidence>,

  DNS_TIMEOUT: {
    severity: 'error',
    title: 'The DNS server did not answer in time',
    message: (e: DnsEvidence & { timeoutMs: number; answeredBy?: string }) =>
      `${by(e.resolver)} did not answer for ${e.host} within ${e.timeoutMs} ms` +
      (e.answeredBy
        ? `; ${by(e.answeredBy)} answered, and its answer is used. A device whose resolver asks ${e.resolver} first ` +
          `waits out that server's timeout (glibc: 5 s) on every lookup.`
        : '.'),
    remediation: (e: DnsEvidence & { timeoutMs: number; answeredBy?: string }) =>
      (e.answeredBy ? `If ${e.resolver} is gone for good, remove it from the device's DNS servers. ` : '') +
      `Check that ${by(e.resolver)} is reachable from the device (UDP port 53 through the VPN/ExpressRoute and any firewall or NSG) and running; ` +
      `if it is a forwarder, check that its upstream (e.g. the Azure DNS Private Resolver inbound endpoint) answers. Raise network.dnsTimeoutMs only if the link is known to be slow.`,
  } satisfies FindingSpec<DnsEvidence & { timeoutMs: number; answeredBy?: string }>,

  DNS_SERVFAIL: {
    severity: 'error',
    title: 'The DNS server failed to resolve (SERVFAIL)',
    message: (e: DnsEvidence) =>
      `${by(e.resolver)} answered SERVFAIL for ${e.host}${chainText(e.chain)}: it could not resolve the name itself.`,
    remediation: (e: DnsEvidence) =>
      `The resolver's own upstream failed: check the conditional forwarder for ${e.publicZone ?? 'the Azure zone'} on ${by(e.resolver)} ` +
      `(target reachable? a resolver inside the VNET such as an Azure DNS Private Resolver inbound endpoint or a DNS VM forwarding to 168.63.129.16) and its logs.`,
  } satisfies FindingSpec<DnsEvidence>,

  DNS_QUERY_FAILED: {
    severity: 'error',
    title: 'The DNS query failed (refused, truncated, or no usable answer)',
    message: (e: DnsEvidence & { rcode?: string; error?: string }) =>
      `${by(e.resolver)} gave no usable answer for ${e.host}: ${[e.rcode && e.rcode !== 'NOERROR' ? `rcode ${e.rcode}` : '', e.error ?? ''].filter(Boolean).join(', ') || 'no address records'}.`,
    remediation: (e: DnsEvidence & { rcode?: string; error?: string }) =>
      e.rcode === 'REFUSED'
        ? `${by(e.resolver)} refuses recursive queries from this device: allow the device's subnet in its ACL, or point the device at a resolver that serves it.`
        : `Check that ${by(e.resolver)} is a recursive resolver that can reach the Azure zones, and that it answers A records for ${e.host}.`,
  } satisfies FindingSpec<DnsEvidence & { rcode?: string; error?: string }>,

  DNS_PUBLIC_ADDRESS: {
    severity: 'error',
    title: 'The host resolves to a public address',
    message: (e: DnsEvidence & { publicAddresses: string[] }) =>
      `${by(e.resolver)} resolves ${e.host} to public address ${list(e.publicAddresses)}${chainText(e.chain)}: the device would reach the public endpoint, ` +
      `which answers 401 when public network access is disabled.`,
    remediation: (e: DnsEvidence & { publicAddresses: string[] }) =>
      `Make sure the resource has an approved private endpoint (Networking → Private access) with a private DNS zone group, then ${zoneFix(e).charAt(0).toLowerCase()}${zoneFix(e).slice(1)}`,
  } satisfies FindingSpec<DnsEvidence & { publicAddresses: string[] }>,

  DNS_NO_PRIVATELINK_CNAME: {
    severity: 'warning',
    title: 'No privatelink CNAME in the answer',
    message: (e: DnsEvidence & { addresses: string[] }) =>
      `${by(e.resolver)} resolves ${e.host} to ${list(e.addresses)} without passing through ${e.privateLinkZone ?? 'a privatelink zone'}${chainText(e.chain)}.`,
    remediation: (e: DnsEvidence & { addresses: string[] }) =>
      `Azure only adds the CNAME ${e.host} → <name>.${e.privateLinkZone ?? 'privatelink.…'} once the resource has a private endpoint: create and approve one. ` +
      `If the resolver answers ${e.host} from a static record of its own, replace it with a forwarder for ${e.publicZone ?? 'the public zone'} so the address follows the private endpoint when it changes.`,
  } satisfies FindingSpec<DnsEvidence & { addresses: string[] }>,

  DNS_PRIVATELINK_NOT_PRIVATE: {
    severity: 'error',
    title: 'The privatelink CNAME is there but the answer is public',
    message: (e: DnsEvidence & { privateLinkName: string; publicAddresses: string[] }) =>
      `${e.host} has the private endpoint's CNAME ${e.privateLinkName}, but ${by(e.resolver)} answers it with public address ${list(e.publicAddresses)}${chainText(e.chain)}: ` +
      `the resolver does not see the private DNS zone.`,
    remediation: (e: DnsEvidence & { privateLinkName: string; publicAddresses: string[] }) => zoneFix(e),
  } satisfies FindingSpec<DnsEvidence & { privateLinkName: string; publicAddresses: string[] }>,

  DNS_PRIVATELINK_RECORD_MISSING: {
    severity: 'error',
    title: 'The privatelink name has no record',
    message: (e: DnsEvidence & { privateLinkName: string; rcode?: string }) =>
      `${e.host} is a CNAME for ${e.privateLinkName}, but ${by(e.resolver)} has no address for it (${e.rcode ?? 'no data'})${chainText(e.chain)}.`,
    remediation: (e: DnsEvidence & { privateLinkName: string; rcode?: string }) =>
      `The private DNS zone ${e.privateLinkZone ?? 'privatelink.…'} that the resolver uses lacks the A record for ${e.privateLinkName}: check in the Azure portal that the ` +
      `private endpoint's connection state is Approved (not Pending or Rejected) and that it has a private DNS zone group pointing at that zone; ` +
      `with a self-managed zone, add the A record with the private endpoint's IP (Private endpoint → DNS configuration).`,
  } satisfies FindingSpec<DnsEvidence & { privateLinkName: string; rcode?: string }>,

  DNS_PRIVATE_ANSWER_FILTERED: {
    severity: 'error',
    title: 'The resolver answered NOERROR with no address (private answer filtered)',
    message: (e: DnsEvidence & { privateLinkName?: string }) =>
      `${by(e.resolver)} answered NOERROR with no address for ${e.host}` +
      `${e.privateLinkName ? ` after the privatelink CNAME ${e.privateLinkName}` : ''}${chainText(e.chain)}: that is ` +
      `how a resolver with DNS-rebinding protection drops a private address from a forwarded answer (a record missing ` +
      `from a linked private DNS zone would be NXDOMAIN).`,
    remediation: (e: DnsEvidence & { privateLinkName?: string }) => {
      const pub = e.publicZone ?? 'azure-devices-provisioning.net and azure-devices.net';
      const zone = e.privateLinkZone ?? 'privatelink.azure-devices-provisioning.net / privatelink.azure-devices.net';
      return (
        `Allow private answers for the Azure zone on ${by(e.resolver)} (it covers ${zone}): dnsmasq, Pi-hole and ` +
        `OpenWrt \`--rebind-domain-ok=/${pub}/\` (OpenWrt: list rebind_domain in /etc/config/dhcp), Unbound ` +
        `\`private-domain: "${pub}"\`, pfSense/OPNsense a domain override or the DNS-rebinding exception list. Or ` +
        `point the device at a resolver that does not filter, e.g. an Azure DNS Private Resolver inbound endpoint.`
      );
    },
  } satisfies FindingSpec<DnsEvidence & { privateLinkName?: string }>,

  DNS_OUTSIDE_VNET: {
    severity: 'error',
    title: 'The address is private but outside the expected VNET ranges',
    message: (e: DnsEvidence & { addresses: string[]; expectedCidrs: string[] }) =>
      `${by(e.resolver)} resolves ${e.host} to ${list(e.addresses)}, which is not inside the expected ranges ${list(e.expectedCidrs)}${chainText(e.chain)}.`,
    remediation: (e: DnsEvidence & { addresses: string[]; expectedCidrs: string[] }) =>
      `Either the private DNS zone ${e.privateLinkZone ?? ''} holds the address of a private endpoint in another VNET (check which private endpoint owns ${list(e.addresses)} and ` +
      `that the zone linked to the resolver's VNET is the one for this VNET), or network.expectedCidrs is wrong: set it to the address space of the subnet that holds the private endpoint.`,
  } satisfies FindingSpec<DnsEvidence & { addresses: string[]; expectedCidrs: string[] }>,

  DNS_MIXED_ANSWERS: {
    severity: 'warning',
    title: 'Some addresses are inside the VNET, some are not',
    message: (e: DnsEvidence & { inRange: string[]; outOfRange: string[]; expectedCidrs: string[] }) =>
      `${by(e.resolver)} resolves ${e.host} to ${list(e.inRange)} inside ${list(e.expectedCidrs)} and to ${list(e.outOfRange)} outside them; ` +
      `under the 'enforce' policy only the former are used.`,
    remediation: (e: DnsEvidence & { inRange: string[]; outOfRange: string[]; expectedCidrs: string[] }) =>
      `Find which record adds ${list(e.outOfRange)}: a public AAAA next to a private A (add the AAAA to the private zone ${e.privateLinkZone ?? ''} or let the device use IPv4), ` +
      `a second private endpoint in another VNET, or a resolver that merges two zones. Keep network.policy 'enforce' until only private addresses remain.`,
  } satisfies FindingSpec<DnsEvidence & { inRange: string[]; outOfRange: string[]; expectedCidrs: string[] }>,

  DNS_ANSWER_CHANGED: {
    severity: 'error',
    title: 'The answer changed between verification and connection',
    message: (e: DnsEvidence & { before: string[]; after: string[] }) =>
      `${by(e.resolver)} resolved ${e.host} to ${list(e.before)} when verified and to ${list(e.after)} later.`,
    remediation: (e: DnsEvidence & { before: string[]; after: string[] }) =>
      `Connect only to the verified address (pin it, as provisionDevice does) and find out why ${e.host} changes: two resolvers answering differently, a short TTL ` +
      `on a record outside the private zone, or a private endpoint being recreated.`,
  } satisfies FindingSpec<DnsEvidence & { before: string[]; after: string[] }>,

  DNS_RESOLVERS_DISAGREE: {
    severity: 'warning',
    title: 'DNS servers give different answers',
    message: (e: DnsEvidence & { addresses: string[]; primary: string; primaryAddresses: string[] }) =>
      `${by(e.resolver)} resolves ${e.host} to ${list(e.addresses)}, but ${by(e.primary)} (the primary) to ${list(e.primaryAddresses)}.`,
    remediation: (e: DnsEvidence & { addresses: string[]; primary: string; primaryAddresses: string[] }) =>
      `Give every DNS server the device uses the same view of ${e.publicZone ?? 'the Azure zones'}: forward the public zone to the same resolver inside the VNET on each, ` +
      `or remove ${e.resolver} from the device's resolver list.`,
  } satisfies FindingSpec<DnsEvidence & { addresses: string[]; primary: string; primaryAddresses: string[] }>,

  DNS_HOSTS_FILE_OVERRIDE: {
    severity: 'warning',
    title: 'The hosts file overrides DNS for this host',
    message: (e: HostsOverrideEvidence) =>
      `${e.hostsFile} maps ${e.host} to ${list(e.addresses)}; getaddrinfo (and so the unmodified SDK) uses that instead of DNS` +
      (e.dnsAddresses ? `, which answers ${list(e.dnsAddresses)}.` : '.') +
      (e.causes?.length
        ? ` That entry is what ${e.causes.join(' and ')} below ${e.causes.length > 1 ? 'are' : 'is'} about.`
        : ''),
    remediation: (e: HostsOverrideEvidence) =>
      `Remove the ${e.host} line from ${e.hostsFile} and fix DNS instead (${zoneFix(e)}). A hosts entry silently breaks when the private endpoint's IP changes ` +
      `and hides DNS problems from every other tool.`,
  } satisfies FindingSpec<HostsOverrideEvidence>,

  ENDPOINT_GLOBAL_WITH_PRIVATE_LINK: {
    severity: 'error',
    title: 'The global device endpoint does not use Private Link',
    message: (e: { host: string; serviceEndpointExample: string }) =>
      `${e.host} is the global device endpoint; it never goes through a private endpoint.`,
    remediation: (e: { host: string; serviceEndpointExample: string }) =>
      `Use your DPS instance's service endpoint instead (${e.serviceEndpointExample}: Azure portal → the DPS → Overview → "Service endpoint"); keep the same ID scope.`,
  } satisfies FindingSpec<{ host: string; serviceEndpointExample: string }>,

  ENDPOINT_IS_IP_ADDRESS: {
    severity: 'error',
    title: 'The endpoint is an IP address, not a DNS name',
    message: (e: { host: string; addressClass: string; inExpectedRange: boolean }) =>
      `The endpoint is the IP address ${e.host} (${e.addressClass}${e.inExpectedRange ? ', inside the expected ranges' : ', outside the expected ranges'}); ` +
      `the service certificate names the DNS name, so TLS fails with a hostname mismatch.`,
    remediation: (e: { host: string; addressClass: string; inExpectedRange: boolean }) =>
      `Use the DNS name (<name>.azure-devices-provisioning.net or <hub>.azure-devices.net) and make it resolve to ${e.host} through the private DNS zone; ` +
      `this library then connects to the verified address while TLS checks the name.`,
  } satisfies FindingSpec<{ host: string; addressClass: string; inExpectedRange: boolean }>,

  ENDPOINT_PRIVATELINK_NAME: {
    severity: 'warning',
    title: 'The endpoint is a privatelink name',
    message: (e: { host: string; serviceName: string }) =>
      `${e.host} is a name inside the privatelink zone; the service certificate is issued for ${e.serviceName} and may not cover it.`,
    remediation: (e: { host: string; serviceName: string }) =>
      `Use ${e.serviceName}: it resolves to the same private endpoint through the privatelink CNAME and matches the certificate. ` +
      `Keep ${e.host} only if a TLS check of that name (dps-check) shows the certificate's SANs cover it.`,
  } satisfies FindingSpec<{ host: string; serviceName: string }>,
  // Each spec has its own evidence type; `any` is what lets them share one record.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} satisfies Record<string, FindingSpec<any>>;
