import type { DnsServer } from './dns-server';

/** Options of {@link startLab}. Every address must be loopback: the lab never binds anything else. */
export interface LabOptions {
  /** Address of the lab DNS server. Default '127.0.0.53'. */
  dnsAddress?: string;
  /** UDP port of the lab DNS server. Default 0 (ephemeral). */
  dnsPort?: number;
  /** The lab "VNET": where the private endpoints live. Default '127.10.0.0/16'. */
  vnetCidr?: string;
  /** Private endpoint address of DPS, inside `vnetCidr`. Default '127.10.0.10'. */
  dpsAddress?: string;
  /** Private endpoint address of the hub, inside `vnetCidr`. Default '127.10.0.20'. */
  hubAddress?: string;
  /**
   * The public DPS endpoint (public network access disabled: TLS succeeds, registration gets 401). Default
   * '127.200.0.1'.
   */
  publicTwinAddress?: string;
  /** The public hub endpoint (CONNACK "not authorized"). Default '127.200.0.2'. */
  hubPublicTwinAddress?: string;
  /** MQTT over TLS port of every listener. Default 8883 (the unmodified SDK always dials 8883); 0 = ephemeral. */
  mqttPort?: number;
  /** MQTT over WebSockets port. Default 443 when running as root, else 8443; 0 = ephemeral. */
  wsPort?: number;
  /** DPS name: `<dpsName>.azure-devices-provisioning.net`. Default 'lab-dps'. */
  dpsName?: string;
  /** Hub name: `<hubName>.azure-devices.net`. Default 'lab-hub'. */
  hubName?: string;
  /** The DPS ID scope. Default '0ne00000A1B'. */
  idScope?: string;
  /** Seconds DPS asks the client to wait (`retry-after`) on 202 assigning and 429. Default 1; 0 keeps tests fast. */
  retryAfterSeconds?: number;
  /**
   * Also put the privatelink names in the server certificates' SANs. Default false: whether the real service
   * certificates cover `<name>.privatelink.…` is unverified, so by default a client using them fails the name check.
   */
  privatelinkSans?: boolean;
  /**
   * Milliseconds the lab's clock runs ahead of the host's (negative = behind). Default 0. Shifts every time the lab
   * reports (HTTP `Date`, registrationState and error timestamps) and judges by (SAS expiry, client certificate
   * validity), so a test can stage a device whose clock disagrees with the service. Change it with
   * {@link LabHandle.setClockOffset}.
   */
  clockOffsetMs?: number;
  /**
   * How DPS answers a well-formed CONNECT whose certificate or SAS key it does not accept. Default 'after-connack'
   * (what real DPS does): CONNACK 0, then every register or poll is answered on `res/401/` with DPS's error body
   * (errorCode 401002, or 401000 for an expired SAS). 'connack': CONNACK 5 (not authorized), the lab's behaviour
   * before issue 11. An inconsistent CONNECT (no credential at all, certificate CN ≠ registration id) gets CONNACK 5
   * in both modes; a malformed username or a foreign ID scope CONNACK 4. Change it with {@link LabHandle.setBehaviour}.
   */
  badCredentials?: 'after-connack' | 'connack';
  /**
   * Order of the query parameters on `$dps/registrations/res/<status>/?…`: 'rid-first' (default,
   * `?$rid=1&retry-after=3`) or 'retry-after-first' (`?retry-after=3&$rid=1`). DPS sends both.
   */
  responseQueryOrder?: 'rid-first' | 'retry-after-first';
  /**
   * The api-versions DPS accepts (from the MQTT username, or the REST `api-version` query). Anything else is answered
   * 400 with errorCode 400004. Default ['2019-03-31', '2021-06-01', '2021-10-01', '2022-02-01', '2022-12-01'].
   */
  apiVersions?: string[];
  /**
   * Hub hostname DPS assigns: 'classic' (default) `<hubName>.azure-devices.net`, or 'device'
   * `<hubName>.device.azure-devices.net` (the newer hostnames, TLS 1.3 preview).
   */
  hubHostnameStyle?: 'classic' | 'device';
}

/** What {@link LabHandle.setBehaviour} may change while the lab runs (see {@link LabOptions}). */
export type LabBehaviour = Pick<LabOptions, 'badCredentials' | 'responseQueryOrder' | 'apiVersions'>;

/** What DPS puts in registrationState when allocation fails: errorCode (e.g. 400207, 400208, 400209) and message. */
export interface LabAllocationFailure {
  errorCode: number;
  errorMessage: string;
}

/** The DNS views {@link LabHandle.setDnsView} switches between; each is one endpoint finding's situation. */
export type LabDnsView =
  /** name → CNAME privatelink → A private endpoint (inside the VNET): the healthy case. */
  | 'private'
  /** Azure public resolver: name → CNAME privatelink → CNAME internal name → A public twin. */
  | 'public'
  /** No private endpoint at all: name → CNAME internal name → A public twin. */
  | 'no-privatelink'
  /** privatelink CNAME, then NXDOMAIN (endpoint pending/rejected or no zone group). */
  | 'privatelink-missing'
  /**
   * What a resolver with DNS-rebinding protection (dnsmasq stop-dns-rebind, OpenWrt's default) answers when the real
   * answer is a private address: an A query of either name gets NOERROR with no answer at all (dnsmasq 2.90 drops the
   * CNAME too); a CNAME or AAAA query still sees the privatelink CNAME.
   */
  | 'rebind-filter'
  /** privatelink → A 10.99.0.4: private but outside the VNET; nobody listens there and no client may connect. */
  | 'outside-vnet'
  /**
   * privatelink → A 127.99.0.4: outside the VNET but loopback, for warn-mode tests that do connect (nothing listens).
   */
  | 'outside-vnet-loopback'
  /** privatelink → A [private endpoint, public twin]. */
  | 'mixed'
  /** The name does not exist (NXDOMAIN). */
  | 'nxdomain'
  /** The resolver fails (SERVFAIL). */
  | 'servfail'
  /** The resolver never answers. */
  | 'drop';

/**
 * A fault DPS (or, for certificates, the hub) injects, chosen by `kind`. `times` (a positive integer) = how often it
 * fires, counting register and poll requests alike (connections for drop-after-connack); default every time. `status`
 * is an HTTP-style status code, `errorCode`/`message`/`errorMessage` go into DPS's error body or registrationState,
 * `bytes` is a size.
 */
export type LabFault =
  /** 429 with `retry-after` (default the lab's retryAfterSeconds). */
  | { kind: 'throttle'; times?: number; retryAfterSeconds?: number }
  /** 5xx (default 500). */
  | { kind: 'server-error'; status?: number; times?: number }
  /**
   * Any other status (e.g. 401, 404) with a DPS-style error body (errorCode default status × 1000 + 1, e.g. 401001).
   */
  | { kind: 'error-status'; status: number; errorCode?: number; message?: string; times?: number }
  /** Accept CONNECT (CONNACK 0), then drop the connection. */
  | { kind: 'drop-after-connack'; times?: number }
  /** Drop the connection when the client polls the operation status. */
  | { kind: 'drop-mid-poll'; times?: number }
  /** Never answer register or poll requests. */
  | { kind: 'never-answer'; times?: number }
  /** Answer 200 with a body that is not JSON. */
  | { kind: 'malformed-json'; times?: number }
  /** Answer 202 with a valid but huge JSON body (`bytes` of padding, default 1 MiB). */
  | { kind: 'oversized-payload'; bytes?: number; times?: number }
  /** The registration ends with status "failed" (DPS-style errorCode, default 400209, and errorMessage). */
  | { kind: 'failed'; errorCode?: number; errorMessage?: string; times?: number }
  /**
   * The poll is answered 200 with this `status` (e.g. 'unassigned', or one DPS never sends) and a registrationState
   * holding only registrationId and status.
   */
  | { kind: 'status'; status: string; times?: number }
  /**
   * Patch DPS's answer to the register (202) or the poll (200 assigned): `set` and `omit` take dotted paths such as
   * 'operationId' or 'registrationState.assignedHub'; the body is otherwise what DPS sends.
   */
  | { kind: 'patch-response'; on: 'register' | 'poll'; set?: Record<string, unknown>; omit?: string[]; times?: number }
  /** The hub refuses this device's CONNECT (CONNACK 5). Scope it with `{ deviceId }` or set it for every device. */
  | { kind: 'hub-refuse'; times?: number }
  /** The hub accepts this device's CONNECT (CONNACK 0), then drops the connection. */
  | { kind: 'hub-drop-after-connack'; times?: number }
  /** The hub completes TLS and reads the CONNECT, but never sends CONNACK. */
  | { kind: 'hub-never-connack'; times?: number }
  /** Serve a server certificate whose SAN is wrong-name.example.net (global; `target` default 'dps'). */
  | { kind: 'wrong-san'; target?: 'dps' | 'hub' }
  /** Serve an expired server certificate (global; `target` default 'dps'). */
  | { kind: 'expired-cert'; target?: 'dps' | 'hub' }
  /**
   * Accept TCP on the target's MQTT and WebSocket ports, then never answer the TLS ClientHello (no ServerHello): an
   * MTU black hole or an IPS dropping the handshake. Global; `target` default 'dps'. Connections held when it is
   * cleared stay held.
   */
  | { kind: 'tls-stall'; target?: 'dps' | 'hub' };

/** The kinds of device {@link LabHandle.createDevice} enrolls. */
export type LabDeviceKind = 'x509-individual' | 'x509-group' | 'symmetric-key' | 'symmetric-key-group';

/** Options of {@link LabHandle.createDevice}. */
export interface LabDeviceOptions {
  /** Device id DPS assigns. Default = registrationId. */
  deviceId?: string;
  /** Key type of x509 device certificates: 'rsa' (2048, default) or 'ec' (ECC P-256, ECDSA-SHA256 when self-signed). */
  keyType?: 'rsa' | 'ec';
  /** Start of the device certificate's validity (x509 kinds). Default one hour ago. */
  notBefore?: Date;
  /**
   * End of the device certificate's validity (x509 kinds), e.g. in the past for an expired certificate. Default in 365
   * days.
   */
  notAfter?: Date;
  /**
   * Enrollment status. 'disabled': DPS answers the register 200 with status "disabled" (empty operationId, a
   * registrationState with only registrationId and status), or CONNACK 5 when `badCredentials` is 'connack'.
   * Default 'enabled'.
   */
  status?: 'enabled' | 'disabled';
  /** Allocation fails for this enrollment: the poll answers status "failed" with this errorCode and errorMessage. */
  allocationFailure?: LabAllocationFailure;
  /** registrationState.substatus when assigned. Default 'initialAssignment'. */
  substatus?: 'initialAssignment' | 'deviceDataMigrated' | 'deviceDataReset' | 'reprovisionedToInitialAssignment';
}

/** A device enrolled in the lab DPS, with its credentials (PEM strings / base64 key). */
export interface LabDevice {
  /** The registration id it was enrolled with: pass it as {@link ProvisionOptions.registrationId}. */
  registrationId: string;
  /** The device id DPS will assign (LabDeviceOptions.deviceId, else the registration id). */
  deviceId: string;
  /** How it was enrolled. */
  kind: LabDeviceKind;
  /**
   * Credentials, ready for {@link ProvisionOptions.auth}: PEM certificate chain and key for x509 kinds, the (derived,
   * for groups) base64 key for symmetric kinds. Test material: never log it.
   */
  auth: { cert: string; key: string } | { symmetricKey: string };
  /** x509 kinds: the device certificate alone (auth.cert holds the chain the device presents). */
  certPem?: string;
  /** x509 kinds: SHA-256 thumbprint of the device certificate. */
  thumbprint?: string;
}

/** One message the hub received from a device. */
export interface LabMessage {
  /** The MQTT topic it was published on, `devices/<deviceId>/messages/events/<property bag>`. */
  topic: string;
  /** The message body, as sent. */
  payload: Buffer;
  /** Message properties from the topic's property bag (`$.ct`, `$.ce`, application properties). */
  properties: Record<string, string>;
  /** Which hub listener it arrived on: MQTT over TLS or MQTT over WebSockets. */
  transport: 'mqtt' | 'mqtt-ws';
  /** When the hub received it, by the lab clock. */
  receivedAt: Date;
}

/** What the lab has seen. Counters only grow. */
export interface LabCounters {
  /** TCP connections accepted, per listener. */
  connections: { dps: number; publicTwin: number; hub: number; hubPublic: number };
  /** Register requests the private DPS received. */
  registrations: number;
  /** Operation status polls the private DPS received. */
  polls: number;
  /** Registrations that ended "assigned". */
  assigned: number;
  /** Requests the public twin answered 401. */
  publicTwinRequests: number;
  /** Requests the private DPS answered 401 (credentials it did not accept, after CONNACK 0 or over REST). */
  unauthorized: number;
  /** REST requests (PUT register, GET operation status) the private DPS answered on its HTTPS port. */
  restRequests: number;
  /** CONNECTs refused with a non-zero CONNACK (any listener). */
  refused: number;
  /** Clients dropped for protocol errors (garbage, no CONNECT, bad topic). */
  dropped: number;
  /** Telemetry messages the hub received. */
  telemetry: number;
  /** Reported-property PATCHes the hub received (accepted or refused). */
  twinPatches: number;
}

/** A running lab. */
export interface LabHandle {
  /** 'ip:port' of the lab DNS server, the form `network.dnsServers` takes. */
  dnsServer: string;
  /** The underlying DNS server (custom records in tests). */
  dns: DnsServer;
  /** The lab VNET, for `network.expectedCidrs`. */
  vnetCidrs: string[];
  /** The private DPS: pass `host` as provisioningHost and `idScope` as idScope; `port`/`wsPort` are the bound ports. */
  dps: {
    /** `<dpsName>.azure-devices-provisioning.net`, the service endpoint devices use. */
    host: string;
    /** `<dpsName>.privatelink.azure-devices-provisioning.net`. */
    privatelinkHost: string;
    /** The lab DPS ID scope (LabOptions.idScope). */
    idScope: string;
    /** Private endpoint address, inside the VNET. */
    address: string;
    /** MQTT over TLS port. */
    port: number;
    /** MQTT over WebSockets port. */
    wsPort: number;
  };
  /**
   * The public DPS endpoint (public network access disabled): its loopback address and MQTT/TLS and WebSocket ports.
   */
  publicTwin: { address: string; port: number; wsPort: number };
  /** The lab IoT hub: its names, private endpoint address and ports, and its public twin. */
  hub: {
    /** `<hubName>.azure-devices.net`, the name DPS assigns. */
    host: string;
    /** `<hubName>.privatelink.azure-devices.net`. */
    privatelinkHost: string;
    /** Private endpoint address, inside the VNET. */
    address: string;
    /** MQTT over TLS port. */
    port: number;
    /** MQTT over WebSockets port. */
    wsPort: number;
    /** Address of the public hub twin (refuses CONNECT as "not authorized"). */
    publicAddress: string;
    /** MQTT and WebSocket ports of the public hub twin (differ from `port`/`wsPort` only when those are ephemeral). */
    publicPort: number;
    /** WebSocket port of the public hub twin. */
    publicWsPort: number;
    /**
     * The hub's built-in Event Hub-compatible endpoint, `iothub-ns-<hubName>-….servicebus.windows.net`: the lab DNS
     * answers it through `privatelink.servicebus.windows.net` with the hub's private address (DNS only: nothing
     * listens for AMQP).
     */
    eventHubHost: string;
  };
  /** The lab root CA: trust this and nothing else. */
  caPem: string;
  /**
   * Enroll a device in DPS and return its credentials. Enrolling the same registration id again replaces its
   * enrollment (new credentials), as updating an enrollment in DPS does; group kinds always get deviceId =
   * registrationId.
   */
  createDevice(registrationId: string, kind: LabDeviceKind, options?: LabDeviceOptions): Promise<LabDevice>;
  /** Switch what the lab DNS answers for the DPS (default) or hub name. */
  setDnsView(view: LabDnsView, target?: 'dps' | 'hub'): void;
  /** Milliseconds the lab clock runs ahead of the host clock now (negative = behind). */
  readonly clockOffsetMs: number;
  /**
   * Skew the lab clock from now on (see {@link LabOptions.clockOffsetMs}); 0 puts it back on the host clock.
   * @throws InvalidOptionError for anything but a whole number of ms within ±10 years.
   */
  setClockOffset(offsetMs: number): void;
  /**
   * Set (or with undefined clear) a fault, globally or for one registration id (hub-* faults: for one `deviceId`).
   * Clearing globally clears all.
   */
  setFault(fault: LabFault | undefined, scope?: { registrationId?: string; deviceId?: string }): void;
  /**
   * Recreate the hub's private endpoint at another address inside the VNET (same ports), as when a private endpoint
   * is recreated or migrated: the lab DNS answers the new address from now on, and the old endpoint closes with every
   * connection it had. `hub.address` follows.
   * @throws InvalidOptionError (rejects) for an address that is not loopback, outside the VNET or already in use.
   */
  moveHubEndpoint(address: string): Promise<void>;
  /** Change how DPS behaves from the next request on (see {@link LabOptions}); omitted fields stay as they are. */
  setBehaviour(behaviour: LabBehaviour): void;
  /**
   * Set a group enrollment's status (disabled: every member gets status "disabled") or make its allocation fail
   * (every member gets status "failed" with the errorCode); `allocationFailure: null` clears it.
   */
  setEnrollmentGroup(
    group: 'x509-group' | 'symmetric-key-group',
    settings: { status?: 'enabled' | 'disabled'; allocationFailure?: LabAllocationFailure | null },
  ): void;
  /** Live counters of what the lab has seen (read them after the action under test). */
  counters: LabCounters;
  /** Telemetry the hub received from a device, oldest first. */
  received(deviceId: string): LabMessage[];
  /** Devices the hub knows (assigned by DPS). */
  hubDevices(): string[];
  /**
   * A copy of the reported properties of a device's twin (without `$version`), as the device's PATCHes left them;
   * undefined for a device the hub does not know.
   */
  reportedProperties(deviceId: string): Record<string, unknown> | undefined;
  /**
   * Runs an IoT Hub query over every twin in the lab hub: the subset `SELECT deviceId|* FROM devices WHERE <path> <op>
   * <literal> [AND|OR|NOT …]`, `IS_DEFINED(path)`, paths `deviceId` and `properties.reported.…`; undefined compares are
   * not true, as in IoT Hub. @throws InvalidOptionError (option `sql`) for anything outside the subset.
   */
  queryTwins(sql: string): Record<string, unknown>[];
  /**
   * Refuse reported-property PATCHes with `status` and an IoT Hub-style error body, `times` times (default until
   * cleared with undefined).
   */
  setTwinPatchFault(fault: { status: number; times?: number } | undefined): void;
  /**
   * Public network access of the hub. Disabled (default): the public address refuses every CONNECT. Enabled: it is
   * the same hub, so a device whose DNS answered the public name connects, and only its posture says so.
   */
  setHubPublicAccess(enabled: boolean): void;
  /** Release every socket; no open handles after it. */
  close(): Promise<void>;
}
