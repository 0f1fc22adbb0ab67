import type { LabDnsView, LabFault, LabHandle } from './types';

/** The result a check reports in a broken scenario: only the checks that do not pass are listed. */
export type ScenarioCheckResult = 'error' | 'warning';

/**
 * One broken setup `dps-lab --scenario <name>` stages: what it changes in the healthy lab, how the device is
 * configured, and what dps-check (the command dps-lab prints) then reports. This table is the one source for
 * `--list-scenarios`, the "what you should see" text and the test that runs dps-check against every scenario.
 */
export interface LabScenario {
  /** The name `--scenario` takes. */
  name: string;
  /** One line for `--list-scenarios`. */
  summary: string;
  /** What the lab changes after it starts; anything not named stays healthy. */
  setup: ScenarioSetup;
  /** How the device differs from the healthy lab's: another provisioning host, extra dps-check flags. */
  device?: {
    /** The host the device is configured with, instead of the lab's service endpoint. */
    host?: string;
    /** Flags the printed dps-check command adds (e.g. `--policy warn` to let it reach the public endpoint). */
    checkArgs?: string[];
    /**
     * dps-check is meant to reach the public twin. It dials the private endpoint's port numbers there, as in Azure,
     * so the lab must not use ephemeral ports (with those every listener has its own).
     */
    reachesPublicEndpoint?: boolean;
  };
  /**
   * What the printed dps-check command (with `--register`) reports: every check that does not pass or skip, and the
   * finding codes of those checks.
   */
  expect: { checks: Record<string, ScenarioCheckResult>; codes: string[] };
  /** What a technician should see, and why: printed under the lab summary. */
  technician: string;
}

/** What a scenario (or dps-lab's --dns-view, --fault and --clock-offset-ms) changes in a running lab. */
export interface ScenarioSetup {
  /** What the lab DNS answers for each service's names (default 'private'). */
  dnsViews?: Partial<Record<'dps' | 'hub', LabDnsView>>;
  /** Faults set globally, in order. */
  faults?: LabFault[];
  /** The lab clock runs this many ms ahead of the host (negative = behind). */
  clockOffsetMs?: number;
}

/** Every named scenario, in the order `--list-scenarios` prints them. */
export const LAB_SCENARIOS: readonly LabScenario[] = [
  {
    name: 'public-dns',
    summary: 'the device asks a public resolver: both names resolve to the public endpoints',
    setup: { dnsViews: { dps: 'public', hub: 'public' } },
    expect: { checks: { 'dps-dns': 'error' }, codes: ['DNS_PRIVATELINK_NOT_PRIVATE'] },
    technician:
      'dps-dns fails: the name follows the privatelink CNAME to the public address (127.200.0.1 stands in ' +
      "for it), outside the VNET, and nothing is dialled. The fix is the device's resolver: use the VNET's " +
      'DNS or an on-prem forwarder to it, not a public one.',
  },
  {
    name: 'privatelink-not-linked',
    summary: "the DPS private DNS zone is not linked to the resolver's VNET: DPS resolves publicly",
    setup: { dnsViews: { dps: 'public' } },
    expect: { checks: { 'dps-dns': 'error' }, codes: ['DNS_PRIVATELINK_NOT_PRIVATE'] },
    technician:
      'dps-dns fails exactly as with a public resolver: privatelink CNAME, then the public address. Here ' +
      "only DPS's zone is unlinked (the hub's resolves privately): link " +
      "privatelink.azure-devices-provisioning.net to the resolver's VNET.",
  },
  {
    name: 'endpoint-pending',
    summary: 'the DPS private endpoint is not approved yet: the privatelink name has no record (NXDOMAIN)',
    setup: { dnsViews: { dps: 'privatelink-missing' } },
    expect: { checks: { 'dps-dns': 'error' }, codes: ['DNS_PRIVATELINK_RECORD_MISSING'] },
    technician:
      'dps-dns fails: the privatelink CNAME is there, the privatelink name is NXDOMAIN. Approve the private ' +
      'endpoint (or add its DNS zone group) so the A record is created.',
  },
  {
    name: 'outside-vnet',
    summary: 'DPS resolves to a private address outside the VNET (10.99.0.4): wrong VNET, peering, overlap',
    setup: { dnsViews: { dps: 'outside-vnet' } },
    expect: { checks: { 'dps-dns': 'error' }, codes: ['DNS_OUTSIDE_VNET'] },
    technician:
      'dps-dns fails with a private address that is not in --expect-cidr, and dps-check never connects to ' +
      'it. Check which VNET the private endpoint is in, the peering and overlapping ranges.',
  },
  {
    name: 'global-endpoint',
    summary: 'the device uses global.azure-devices-provisioning.net, which never goes through the private endpoint',
    setup: {},
    device: { host: 'global.azure-devices-provisioning.net' },
    expect: {
      checks: { 'dps-host': 'error', 'dps-dns': 'error' },
      codes: ['ENDPOINT_GLOBAL_WITH_PRIVATE_LINK', 'DNS_OUTSIDE_VNET', 'DNS_NO_PRIVATELINK_CNAME'],
    },
    technician:
      'dps-host fails before any lookup: the global endpoint does not go through a private endpoint; ' +
      'dps-dns shows it resolving publicly. Configure the device with ' +
      '<name>.azure-devices-provisioning.net.',
  },
  {
    name: 'wrong-san',
    summary: 'DPS serves a certificate for another name (wrong-name.example.net): the TLS name check fails',
    setup: { faults: [{ kind: 'wrong-san' }] },
    expect: {
      checks: { 'dps-tls-mqtt': 'error', 'dps-tls-websocket': 'warning', 'dps-register': 'error' },
      codes: ['TLS_HOSTNAME_MISMATCH'],
    },
    technician:
      'DNS and TCP pass; TLS fails the name check on 8883 (an error) and 443 (a warning: not the transport ' +
      'in use), naming wrong-name.example.net. Something on the path (a TLS-inspecting proxy, a wrong ' +
      'endpoint) answers for DPS.',
  },
  {
    name: 'expired-server-cert',
    summary: 'DPS serves an expired certificate',
    setup: { faults: [{ kind: 'expired-cert' }] },
    expect: {
      checks: { 'dps-tls-mqtt': 'error', 'dps-tls-websocket': 'warning', 'dps-register': 'error' },
      codes: ['TLS_SERVER_CERT_EXPIRED'],
    },
    technician:
      'TLS fails with an expired service certificate on both ports. Against real DPS this usually means the ' +
      'device clock is far ahead, or a TLS-inspecting proxy serves a stale certificate.',
  },
  {
    name: 'tls-stall',
    summary: 'TCP to DPS connects, the TLS handshake is never answered (MTU black hole, IPS dropping the ClientHello)',
    setup: { faults: [{ kind: 'tls-stall' }] },
    expect: {
      checks: { 'dps-tls-mqtt': 'error', 'dps-tls-websocket': 'warning', 'dps-register': 'error' },
      codes: ['TLS_HANDSHAKE_STALLED', 'DPS_TIMEOUT'],
    },
    technician:
      'TCP connects, then the TLS handshake gets no answer until the timeout, on both ports, and the ' +
      'registration times out. Look for an MTU black hole on the VPN (try a smaller MTU) or an IPS dropping ' +
      'the ClientHello.',
  },
  {
    name: 'throttled',
    summary: 'DPS answers every registration 429 (throttled) with retry-after',
    setup: { faults: [{ kind: 'throttle' }] },
    expect: { checks: { 'dps-register': 'error' }, codes: ['DPS_THROTTLED'] },
    technician:
      'Everything up to TLS passes; the registration gets 429 and gives up after its retries (the plain SDK ' +
      "would retry for ever). Spread the fleet's registrations out; don't register on every boot.",
  },
  {
    name: 'public-access-disabled',
    summary: 'the device reaches the public DPS endpoint, where public network access is disabled: TLS works, then 401',
    setup: { dnsViews: { dps: 'public' } },
    device: { checkArgs: ['--policy', 'warn'], reachesPublicEndpoint: true },
    expect: {
      checks: { 'config-well-formed': 'warning', 'dps-dns': 'error', 'dps-register': 'error' },
      codes: ['DNS_PRIVATELINK_NOT_PRIVATE', 'DPS_UNAUTHORIZED_PUBLIC'],
    },
    technician:
      'With --policy warn dps-check goes where the plain SDK goes: TLS to the public endpoint works, the ' +
      'registration gets 401. A 401 from a public address means "you reached the public endpoint": fix DNS, ' +
      'not credentials.',
  },
  {
    name: 'hub-zone-not-linked',
    summary:
      'DPS resolves privately, the assigned hub does not (its zone is not linked): provisioning works, the hub fails',
    setup: { dnsViews: { hub: 'public' } },
    expect: { checks: { 'hub-dns': 'error' }, codes: ['HUB_PUBLIC_ADDRESS', 'DNS_PRIVATELINK_NOT_PRIVATE'] },
    technician:
      'Every DPS check and the registration pass; hub-dns fails: the assigned hub resolves to its public ' +
      "address. Link privatelink.azure-devices.net to the resolver's VNET as well.",
  },
  {
    name: 'clock-skew',
    summary: "the device's clock is 10 minutes behind the service's (SAS and certificate validity, 401s)",
    setup: { clockOffsetMs: 600_000 },
    expect: { checks: { 'clock-skew': 'error' }, codes: ['CLOCK_SKEW'] },
    technician:
      "clock-skew fails: the service's HTTP Date is 10 minutes ahead of this host. Real DPS then rejects " +
      'SAS tokens and may reject certificates: fix NTP on the device.',
  },
  {
    name: 'rebind-filter',
    summary: "the site resolver's DNS-rebinding protection drops the private answer: NOERROR with no address",
    setup: { dnsViews: { dps: 'rebind-filter' } },
    expect: {
      checks: { 'dps-dns': 'error' },
      codes: ['DNS_PRIVATE_ANSWER_FILTERED'],
    },
    technician:
      'dps-dns fails: the privatelink name answers NOERROR with no address (a missing record would be ' +
      "NXDOMAIN). Allow the privatelink zones through the router's rebind protection (dnsmasq " +
      'rebind-domain-ok) or use another resolver.',
  },
];

/** The scenario called `name`, or undefined. */
export function findScenario(name: string): LabScenario | undefined {
  return LAB_SCENARIOS.find((s) => s.name === name);
}

/** Stage a scenario's setup on a running lab: DNS views, faults, clock. */
export function applySetup(lab: LabHandle, setup: ScenarioSetup): void {
  const { dnsViews = {}, faults = [], clockOffsetMs } = setup;
  for (const target of ['dps', 'hub'] as const) {
    const view = dnsViews[target];
    if (view) lab.setDnsView(view, target);
  }
  for (const fault of faults) lab.setFault(fault);
  if (clockOffsetMs !== undefined) lab.setClockOffset(clockOffsetMs);
}
