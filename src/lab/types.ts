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
  /** Serve a server certificate whose SAN is wrong-name.example.net (global; `target` default 'dps'). */
  | { kind: 'wrong-san'; target?: 'dps' | 'hub' }
  /** Serve an expired server certificate (global; `target` default 'dps'). */
  | { kind: 'expired-cert'; target?: 'dps' | 'hub' };

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
  /** Enrollment status; 'disabled' makes DPS refuse the device (401). Default 'enabled'. */
  status?: 'enabled' | 'disabled';
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
  /** CONNECTs refused with a non-zero CONNACK (any listener). */
  refused: number;
  /** Clients dropped for protocol errors (garbage, no CONNECT, bad topic). */
  dropped: number;
  /** Telemetry messages the hub received. */
  telemetry: number;
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
  /** Set (or with undefined clear) a fault, globally or for one registration id. Clearing globally clears all. */
  setFault(fault: LabFault | undefined, scope?: { registrationId?: string }): void;
  /** Live counters of what the lab has seen (read them after the action under test). */
  counters: LabCounters;
  /** Telemetry the hub received from a device, oldest first. */
  received(deviceId: string): LabMessage[];
  /** Devices the hub knows (assigned by DPS). */
  hubDevices(): string[];
  /** Release every socket; no open handles after it. */
  close(): Promise<void>;
}
