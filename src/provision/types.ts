import type { Connector } from '../connection/connector';
import type { EndpointCache } from '../endpoint/cache';
import type { TransportName } from '../config/types';
import type { PemInput, TlsMinVersion } from '../connection/types';
import type { EndpointReport, NetworkOptions } from '../endpoint/types';
import type { Finding } from '../findings/types';

/**
 * X.509 authentication: the device certificate (chain, leaf first) and its key. Both are read before any packet is
 * sent: unreadable → InvalidOptionError naming auth.cert / auth.key / auth.passphrase; a key that is not the
 * certificate's → DEVICE_KEY_MISMATCH.
 */
export interface X509Auth {
  /** PEM text or a Buffer of it (chain, leaf first), or one DER certificate as a Buffer (converted to PEM). */
  cert: PemInput;
  /** PEM text or a Buffer of it (PKCS#8, PKCS#1, SEC1), or DER bytes as a Buffer. Never logged. */
  key: PemInput;
  /** Passphrase of an encrypted key. Never logged. */
  passphrase?: string;
}

/** Symmetric-key authentication: the device key (for group enrollments, the key derived for this registration id). */
export interface SymmetricKeyAuth {
  /** Base64 key. Never logged. */
  symmetricKey: string;
}

/** How the device authenticates to DPS and to the hub. */
export type DeviceAuth = X509Auth | SymmetricKeyAuth;

export type { TransportName };

/** The steps {@link ProvisionOptions.onProgress} reports, in order. */
export type ProgressStep =
  'resolving' | 'verified' | 'connecting' | 'tls' | 'registering' | 'assigned' | 'hub-verified';

/** One progress event. `detail` is plain data for logs (names, addresses, protocol), never a secret. */
export interface ProgressEvent {
  /**
   * Which step was reached; steps come in {@link ProgressStep} order; a cached assignment skips connecting, tls and
   * registering.
   */
  step: ProgressStep;
  /** Milliseconds since provisionDevice was called. */
  elapsedMs: number;
  /** Step-specific facts for logs (host, address, protocol, registration id…); never a key, token or passphrase. */
  detail: Record<string, unknown>;
}

/** Options of {@link provisionDevice}. Validated at the door; never mutated. */
export interface ProvisionOptions {
  /** The DPS service endpoint, `<name>.azure-devices-provisioning.net` (not `global.…`). */
  provisioningHost: string;
  /** The DPS ID scope, e.g. `0ne00000A1B`: letters and digits, at most 64. */
  idScope: string;
  /**
   * The registration id of the enrollment (for X.509, the certificate's subject CN): 1 to 128 letters, digits and
   * `- . _ :`, the last one a letter, digit or `-`. Case-insensitive at DPS, so upper case is accepted; anything else
   * is refused with InvalidOptionError before a packet is sent.
   */
  registrationId: string;
  /** How the device authenticates: {@link X509Auth} or {@link SymmetricKeyAuth}. Checked before any packet is sent. */
  auth: DeviceAuth;
  /** Expected private ranges, DNS servers and policy (default `enforce`). Also used for the assigned hub. */
  network: NetworkOptions;
  /** Transport to DPS and, later, to the hub. Default `mqtt`. */
  transport?: TransportName;
  /**
   * Extra trust anchors (`ca`, added to the roots Node trusts, never replacing them) and the TLS minimum (default
   * `TLSv1.2`; never lower).
   */
  tls?: { ca?: PemInput | PemInput[]; minVersion?: TlsMinVersion };
  /**
   * Overall deadline in milliseconds, covering DNS, connection, registration and polling. Default 60000; at most
   * 2147483647.
   */
  timeoutMs?: number;
  /** Cancels everything: sockets are closed and the promise rejects with AbortedError. */
  signal?: AbortSignal;
  /** Persist the assignment at `path` (mode 0600, written atomically) and reuse it on later calls. */
  cache?: { path: string };
  /** Ignore a cached assignment and register again. Default false. */
  forceReprovision?: boolean;
  /** Custom allocation payload sent with the registration (JSON-serialisable). */
  payload?: unknown;
  /** Called at each step; exceptions it throws are ignored. */
  onProgress?: (event: ProgressEvent) => void;
  /** Bounded retries of throttling (429), server errors (5xx) and dropped connections. */
  retry?: {
    /** Attempts in total, including the first: an integer 1-100. Default 5. */
    maxAttempts?: number;
    /** Delay when DPS gives no retry-after, in milliseconds (0 or more), doubled per attempt. Default 1000. */
    baseDelayMs?: number;
    /** Jitter added to each retry delay, as a fraction of it (0..1). Default 0.2. */
    jitter?: number;
  };
  /**
   * HTTP CONNECT proxy for `mqtt-ws` only, `http://<ip>:<port>` (an IP: the device does not resolve the proxy either).
   * No default.
   */
  proxy?: string;
  /** Advanced (labs): the MQTT/TLS port. Default 8883. */
  port?: number;
  /** Advanced (labs): the MQTT/WebSockets port. Default 443. */
  wsPort?: number;
  /**
   * Advanced (tests, instrumentation): opens every socket of the call — DNS queries, the TLS connection, a proxy
   * tunnel. Default: the package's own ({@link createConnector}). A recording one sees every packet's destination.
   */
  connector?: Connector;
  /**
   * Share DNS verification between calls: a report for the DPS or hub name is reused within its DNS TTL (capped)
   * instead of resolving again. For gateways provisioning many devices; build one with createEndpointCache().
   * Default: none.
   */
  endpointCache?: EndpointCache;
}

/** What {@link provisionDevice} returns. */
export interface ProvisioningResult {
  /** Host name of the hub DPS assigned. */
  assignedHub: string;
  /** The device id DPS assigned in that hub (often, but not always, equal to the registration id). */
  deviceId: string;
  /** The registration id that was registered (as passed in {@link ProvisionOptions.registrationId}). */
  registrationId: string;
  /** True when the assignment came from `cache.path` and DPS was not contacted. */
  fromCache: boolean;
  /** The DPS endpoint as verified before connecting. */
  dps: EndpointReport;
  /** The assigned hub's endpoint as verified after assignment (no connection). */
  hub: EndpointReport;
  /** What the live TLS socket to DPS negotiated (from the cache when `fromCache`). */
  tls: { protocol: string; cipher: string };
  /**
   * Everything worth knowing: DNS, TLS, DPS and hub findings. Under `warn`/`off` errors are not thrown but listed here.
   */
  findings: Finding[];
  /** The custom allocation payload DPS returned, if any. */
  payload?: unknown;
  /** ISO time of the registration (of the cached one when `fromCache`). */
  provisionedAt: string;
  /** Transport used, and for the hub client to reuse. */
  transport: TransportName;
}
