import net from 'node:net';
import type { Client } from 'azure-iot-device';
import { createMqttProvider, loadMqttBase } from '../connection/mqtt-provider';
import type { Connector } from '../connection/connector';
import { proxyInPathFinding } from '../connection/diagnose';
import { ConnectionSession } from '../connection/session';
import { within } from '../support/abort';
import { TRANSPORTS } from '../connection/transports';
import type { ConnectTarget, PemInput, TlsInfo, TlsMinVersion } from '../connection/types';
import { connectableAddresses } from '../endpoint/verify';
import type { Policy } from '../endpoint/types';
import { AbortedError, DpsPrivateLinkError, InvalidOptionError } from '../errors';
import { classifyAddress, describe, isInCidrs, parseCidrs, type Cidr } from '../endpoint/address';
import { checkPolicy, ownOptions } from '../endpoint/options';
import { createFinding, isFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { DEVICE_ID } from '../provision/cache';
import {
  checkAuth,
  checkConnector,
  checkPort,
  checkProxy,
  checkTls,
  checkTransport,
  MAX_TIMER_MS,
  PROVISION_DEFAULTS,
} from '../provision/options';
import { withAuthScrubbed } from '../redact';
import type { DeviceAuth, ProvisioningResult, TransportName, X509Auth } from '../provision/types';
import { lateKeyMismatch } from '../provision/credentials';
import { watchHubEndpoint } from './reverify';
import { sdkUserAgent } from './user-agent';

/**
 * Options of {@link createHubClient}. The transport and the expected ranges default to what the provisioning result
 * says; the policy never does (it defaults to `enforce`).
 */
export interface HubClientOptions {
  /** Default: the transport used for provisioning. */
  transport?: TransportName;
  /** Extra trust anchors (`ca`, added to the roots Node trusts) and TLS minimum (default TLSv1.2; never lower). */
  tls?: { ca?: PemInput | PemInput[]; minVersion?: TlsMinVersion };
  /**
   * Default `enforce`, whatever the result says: `result.hub.policy` is not read, because a result loaded from storage
   * or edited could otherwise switch the range check off. Pass `warn` or `off` here to connect outside the ranges.
   */
  policy?: Policy;
  /** HTTP CONNECT proxy, `http://<ip>:<port>`; only with transport `mqtt-ws` (refused with `mqtt`). */
  proxy?: string;
  /**
   * The ranges the hub must be inside (default `result.hub.expectedCidrs`). Every address in `result.hub` is checked
   * against them again here: the `inExpectedRange` flags of a stored or edited result are not trusted. The default
   * ranges, though, come from the result itself: a result read from storage must be trusted (as written by this
   * device, in a file only it can change), or the caller must pass the ranges here.
   */
  expectedCidrs?: string[];
  /** Advanced (labs): MQTT/TLS port, default 8883. */
  port?: number;
  /** Advanced (labs): MQTT/WebSockets port, default 443. */
  wsPort?: number;
  /** Advanced (tests, instrumentation): opens the hub connection's sockets. Default: the package's own. */
  connector?: Connector;
}

/** The hub connection was refused before or during connecting. `code` is the primary finding's code. */
export class HubConnectionError extends DpsPrivateLinkError {
  /** Always `HubConnectionError`; `code` is the primary finding's code. */
  override name = 'HubConnectionError';
  constructor(primary: Finding, findings: Finding[], cause?: unknown) {
    super(primary.code, `${primary.message} ${primary.remediation}`, {
      findings: [primary, ...findings.filter((f) => f !== primary)],
      cause,
    });
  }
}

/**
 * What openHubClient needs of a client createHubClient built; `connacks` counts CONNACKs received (any code);
 * `closed` is set once the app called close().
 */
interface ClientEntry {
  session: ConnectionSession;
  result: ProvisioningResult;
  connacks: number;
  /** The result's findings and this connection's own (PROXY_IN_PATH): the context of every open error. */
  findings: Finding[];
  closed: boolean;
  /** The SDK's MQTT / MQTT-WS transport under the client. */
  transport: object;
  /** X.509 credentials checked by building their context only (see checkX509): parsed if an open then fails. */
  unparsed?: X509Auth;
}
const sessions = new WeakMap<Client, ClientEntry>();

/**
 * An azure-iot-device `Client` for the hub DPS assigned, whose MQTT / MQTT-WS connection is pinned to the hub
 * addresses verified in `result.hub` (no second DNS lookup) and TLS-enforced like the DPS connection.
 * Under `enforce`, throws {@link HubConnectionError} (HUB_PUBLIC_ADDRESS, HUB_OUTSIDE_VNET, HUB_UNRESOLVED) when no
 * verified address is inside the expected ranges — without opening a socket. Use {@link openHubClient} to open it
 * with diagnosed errors, or `client.open()` directly.
 */
export function createHubClient(result: ProvisioningResult, auth: DeviceAuth, options: HubClientOptions = {}): Client {
  // The key or passphrase pasted into another option must not come back in its error message.
  return withAuthScrubbed(auth, () => createChecked(result, auth, options));
}

/** {@link HubClientOptions} and the result, validated at the door: what the client is built from. */
interface ResolvedHubClient {
  result: ProvisioningResult;
  credentials: DeviceAuth;
  transport: TransportName;
  target: ConnectTarget;
  connector: Connector;
  /** The ranges and policy the hub was checked under: a re-verification after a drop uses the same. */
  expectedCidrs: string[];
  policy: Policy;
  /** Warnings about this connection (PROXY_IN_PATH under warn, or a proxy inside the ranges). */
  findings: Finding[];
}

function createChecked(result: ProvisioningResult, auth: DeviceAuth, options: HubClientOptions): Client {
  // Own properties only: an `Object.prototype.policy = 'off'` set by another library is not the caller's choice.
  return buildClient(resolveHubClient(result, auth, ownOptions(options) ?? {}));
}

/** Validates everything once; throws InvalidOptionError naming the input, or HubConnectionError (no socket opened). */
function resolveHubClient(result: ProvisioningResult, auth: DeviceAuth, options: HubClientOptions): ResolvedHubClient {
  checkResult(result);
  const tls = checkTls(options.tls);
  // Read by building the context the hub sockets use, as provisionDevice does (reused from it when the options match).
  const { auth: credentials, mismatch, context } = checkAuth(auth, 'auth', tls);
  if (mismatch) throw new HubConnectionError(mismatch, []);
  const transport = checkTransport(
    options.transport ?? result.transport ?? PROVISION_DEFAULTS.transport,
    'options.transport',
  );
  // Not `result.hub.policy`: the result may come from storage or an edit, and must not be able to relax the check.
  const policy = checkPolicy(options.policy ?? 'enforce', 'options.policy');
  if (options.proxy !== undefined && !TRANSPORTS[transport].proxyable) {
    throw new InvalidOptionError(
      'options.proxy',
      `only works with transport mqtt-ws (the transport is ${transport})`,
      "Set options.transport: 'mqtt-ws' (HTTP CONNECT proxies carry WebSockets on 443), or remove options.proxy.",
    );
  }
  const proxy = options.proxy !== undefined ? checkProxy(options.proxy, 'options.proxy') : undefined;
  const port = checkPort(options.port, 'options.port', PROVISION_DEFAULTS.port);
  const wsPort = checkPort(options.wsPort, 'options.wsPort', PROVISION_DEFAULTS.wsPort);
  const connector = checkConnector(options.connector, 'options.connector');
  const cidrsInput = options.expectedCidrs ?? result.hub.expectedCidrs;
  const cidrs = parseCidrs(cidrsInput, options.expectedCidrs ? 'options.expectedCidrs' : 'result.hub.expectedCidrs');
  refuseIpLiteral(result.assignedHub, cidrs);
  const hubFindings = result.findings.filter((f) => f.code.startsWith('HUB_') || f.evidence.host === result.hub.host);
  const addresses = pinnedAddresses(result, cidrs, policy);
  if (addresses.length === 0) {
    const primary =
      hubFindings.find((f) => f.code.startsWith('HUB_') && f.severity === 'error') ??
      createFinding('HUB_UNRESOLVED', {
        hub: result.assignedHub,
        detail: `no address inside ${cidrsInput.join(', ')}`,
      });
    throw new HubConnectionError(primary, hubFindings);
  }
  // Same rule as for DPS: a proxy resolves the hub name itself, so under enforce it must sit inside the ranges.
  const proxyFinding = proxy ? proxyInPathFinding(result.assignedHub, proxy, cidrs, policy) : undefined;
  if (proxyFinding?.severity === 'error') throw new HubConnectionError(proxyFinding, hubFindings);
  const target: ConnectTarget = {
    host: result.assignedHub,
    addresses,
    port: transport === 'mqtt' ? port : wsPort,
    minVersion: tls.minVersion,
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(proxy ? { proxy } : {}),
    ...(context ? { secureContext: context } : {}),
  };
  const findings = proxyFinding ? [proxyFinding] : [];
  return { result, credentials, transport, target, connector, expectedCidrs: [...cidrsInput], policy, findings };
}

/**
 * DPS assigns a hub by DNS name; an IP literal in `assignedHub` comes from an edited or forged result. It is refused
 * under every policy, before any socket: the service certificate names the DNS name (so TLS would fail anyway), and
 * an IPv6 literal cannot even be put into the SDK's connection URI.
 */
function refuseIpLiteral(hub: string, cidrs: readonly Cidr[]): void {
  const bare = hub.startsWith('[') && hub.endsWith(']') ? hub.slice(1, -1) : hub;
  if (!net.isIP(bare)) return;
  const finding = createFinding('ENDPOINT_IS_IP_ADDRESS', {
    host: bare,
    addressClass: classifyAddress(bare),
    inExpectedRange: isInCidrs(bare, cidrs),
  });
  throw new HubConnectionError(finding, []);
}

function checkResult(result: ProvisioningResult): void {
  if (!result || typeof result !== 'object' || typeof result.assignedHub !== 'string' || !result.hub) {
    throw new InvalidOptionError(
      'result',
      `expected the result of provisionDevice, got ${describe(result)}`,
      'Pass the object provisionDevice resolved with.',
    );
  }
  if (!Array.isArray(result.findings) || !result.findings.every(isFinding)) {
    // Read below to pick the primary finding of a refusal: a malformed one would surface as a TypeError.
    throw new InvalidOptionError(
      'result.findings',
      `expected the findings of provisionDevice's result, got ${Array.isArray(result.findings) ? 'an array with a value that is not a finding' : describe(result.findings)}`,
      'Pass the result provisionDevice resolved with, unedited.',
    );
  }
  if (typeof result.deviceId !== 'string' || !DEVICE_ID.test(result.deviceId)) {
    // It goes into a connection string below: a `;` could add fields to it.
    throw new InvalidOptionError(
      'result.deviceId',
      `${describe(result.deviceId)} is not an IoT Hub device id`,
      'Pass the result provisionDevice resolved with, unedited.',
    );
  }
}

/**
 * The hub addresses the policy lets us dial. Range flags are recomputed, not read: a result loaded from disk or edited
 * could otherwise mark any address as in range and pin there.
 */
function pinnedAddresses(result: ProvisioningResult, cidrs: readonly Cidr[], policy: Policy): string[] {
  const checked = (Array.isArray(result.hub.addresses) ? result.hub.addresses : []).map((a) => ({
    ...a,
    inExpectedRange: typeof a?.address === 'string' && isInCidrs(a.address, cidrs),
  }));
  return connectableAddresses({ ...result.hub, addresses: checked }, policy).map((a) => a.address);
}

/** The azure-iot-device Client over the SDK's own MQTT / MQTT-WS transport, every socket through the pinned session. */
function buildClient(r: ResolvedHubClient): Client {
  const { result, credentials, transport } = r;
  const session = new ConnectionSession(r.target, {}, r.connector);
  // Loaded on first use: the device SDK costs ~70 ms of start-up that a device which only provisions need not pay.
  const { Client, SharedAccessKeyAuthenticationProvider, X509AuthenticationProvider } =
    require('azure-iot-device') as typeof import('azure-iot-device');
  const deviceMqtt = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt');
  const authProvider =
    'symmetricKey' in credentials
      ? SharedAccessKeyAuthenticationProvider.fromConnectionString(
          `HostName=${result.assignedHub};DeviceId=${result.deviceId};SharedAccessKey=${credentials.symmetricKey}`,
        )
      : X509AuthenticationProvider.fromX509Options(result.deviceId, result.assignedHub, {
          cert: String(credentials.cert),
          key: String(credentials.key),
          ...(credentials.passphrase ? { passphrase: credentials.passphrase } : {}),
        });
  const MqttBase = loadMqttBase('azure-iot-device-mqtt');
  const entry: Omit<ClientEntry, 'session' | 'result' | 'transport'> = {
    connacks: 0,
    findings: [...result.findings, ...r.findings],
    closed: false,
    ...(r.target.secureContext && 'cert' in credentials ? { unparsed: credentials } : {}),
  };
  const base = new MqttBase(createMqttProvider(session, transport, { onConnackPacket: () => entry.connacks++ }));
  const deviceTransport = new deviceMqtt[TRANSPORTS[transport].sdkExport](authProvider, base);
  const client = new Client(deviceTransport);
  sessions.set(client, Object.assign(entry, { session, result, transport: deviceTransport }));
  // The SDK reconnects a closed client for the next twin or telemetry call; work started before close() (a posture
  // retry) must be able to see that the app is done with it, and the SDK emits nothing on close.
  const close = client.close.bind(client) as (cb?: unknown) => unknown;
  client.close = ((cb?: unknown) => {
    entry.closed = true;
    return close(cb);
  }) as Client['close'];
  // Private endpoint IPs can change: after a drop the hub name is verified again before any reconnect dials.
  const spec = { result, expectedCidrs: r.expectedCidrs, policy: r.policy, sockets: r.connector };
  watchHubEndpoint(client, session, spec, deviceTransport);
  return client;
}

/**
 * What the hub connection of a client from {@link createHubClient} negotiated on its latest TLS handshake (protocol,
 * cipher, the address dialled — the proxy's when tunnelling), or undefined before one completed or for another client.
 */
export function hubConnectionTls(client: Client): Readonly<TlsInfo> | undefined {
  return sessions.get(client)?.session.tls;
}

/** True once close() was called on a client from {@link createHubClient} (false for any other client). */
export function hubClientClosed(client: Client): boolean {
  return sessions.get(client)?.closed ?? false;
}

/**
 * For a client opened before the app can reach it (connectDevice): hands the SDK's transport its user agent up front
 * (see {@link sdkUserAgent}), so that its first connect does not probe the OS. That probe runs `lsb_release -a` on
 * Debian-like systems: ~45 ms of a cold boot on a loaded 2-core device (bench/boot.bench.ts), paid right before the
 * hub CONNECT. Not for clients the app opens itself: the SDK refuses `setOptions({ productInfo })` once it is set.
 */
export function presetUserAgent(client: Client): void {
  const transport = sessions.get(client)?.transport as
    { _userAgentString?: unknown; _ensureAgentString?: unknown } | undefined;
  // Private fields of azure-iot-device-mqtt: should a release rename them, this does nothing and the SDK probes.
  if (!transport || typeof transport._ensureAgentString !== 'function' || transport._userAgentString) return;
  transport._userAgentString = sdkUserAgent();
}

/** Options of {@link openHubClient}. */
export interface OpenHubClientOptions {
  /** Milliseconds until the open gives up with HUB_TIMEOUT (unless the socket failed first). Default 30000. */
  timeoutMs?: number;
  /** Cancels the open: sockets are closed and the promise rejects with AbortedError. */
  signal?: AbortSignal;
}

const OPEN_DEFAULTS = { timeoutMs: 30_000 };

/**
 * Opens a client from {@link createHubClient}; a failure becomes {@link HubConnectionError}: TLS_* / TCP_UNREACHABLE
 * from the socket, HUB_TIMEOUT when nothing finished within `timeoutMs` (default 30 s; the evidence says whether a
 * TLS handshake completed), or HUB_UNAUTHORIZED when the hub refused the device after a TLS handshake (deleted or
 * disabled identity, or the public endpoint with public access disabled). `signal` → AbortedError. A client not
 * made by createHubClient is opened as is, without timeout or diagnosis.
 */
export async function openHubClient(client: Client, options: OpenHubClientOptions = {}): Promise<void> {
  const entry = sessions.get(client);
  if (!entry) return void (await client.open());
  if (!options || typeof options !== 'object')
    throw new InvalidOptionError(
      'options',
      `expected an object, got ${describe(options)}`,
      'Pass { timeoutMs?, signal? } or leave it out.',
    );
  const timeoutMs = options.timeoutMs ?? OPEN_DEFAULTS.timeoutMs;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) {
    throw new InvalidOptionError(
      'options.timeoutMs',
      `${describe(timeoutMs)} is not a timeout`,
      `Use milliseconds from 1 to ${MAX_TIMER_MS} (default 30000).`,
    );
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidOptionError(
      'options.signal',
      `expected an AbortSignal, got ${describe(options.signal)}`,
      'Pass AbortController.signal or leave it out.',
    );
  }
  const { session, result } = entry;
  const connacksBefore = entry.connacks;
  const signal = options.signal;
  if (signal?.aborted) throw new AbortedError('opening the hub client', signal.reason);
  const opening = client.open().then(() => undefined);
  try {
    const outcome = await within(opening, timeoutMs, signal, 'opening the hub client');
    if (outcome !== 'timeout') return;
    // The SDK's own open would run on (up to a minute) and then call a silent peer "unauthorized": stop it here.
    await stopOpening(client, session, opening);
    const finding =
      session.failure?.finding ??
      createFinding('HUB_TIMEOUT', {
        hub: result.assignedHub,
        ...session.peerEvidence,
        timeoutMs,
        tlsCompleted: session.tls !== undefined,
      });
    const stalled = session.stalledHandshake(`no TLS answer within ${timeoutMs} ms`)?.finding;
    throw new HubConnectionError(finding, [...(stalled ? [stalled] : []), ...entry.findings]);
  } catch (err) {
    if (err instanceof AbortedError) await stopOpening(client, session, opening);
    if (err instanceof HubConnectionError || err instanceof AbortedError) throw err;
    // Only a completed TLS handshake followed by a refusal is the hub rejecting the device — unless the key turns out
    // not to be the certificate's (another algorithm than the certificate's passes the door; see checkX509).
    const finding =
      (entry.unparsed && session.attempts > 0 ? lateKeyMismatch(entry.unparsed) : undefined) ??
      session.failure?.finding ??
      (session.attempts > 0 && session.tls === undefined
        ? createFinding('TLS_HANDSHAKE_FAILED', {
            host: result.assignedHub,
            detail: `the connection failed before a TLS handshake completed (${(err as Error)?.message ?? String(err)})`,
          })
        : undefined) ??
      // TLS completed, then the connection ended with no CONNACK at all: nothing refused the device.
      (session.tls !== undefined && entry.connacks === connacksBefore
        ? createFinding('HUB_CONNECTION_LOST', {
            hub: result.assignedHub,
            ...session.peerEvidence,
            detail: `no CONNACK: ${(err as Error)?.message ?? String(err)}`,
          })
        : undefined) ??
      createFinding('HUB_UNAUTHORIZED', {
        hub: result.assignedHub,
        deviceId: result.deviceId,
        ...session.peerEvidence,
        detail: (err as Error)?.message ?? String(err),
      });
    // Closing also stops the SDK's token renewal timer: nothing is left running after a failed open.
    await closeQuietly(client);
    session.close();
    throw new HubConnectionError(finding, entry.findings, err);
  }
}

/** Closes the SDK client, waiting at most 1 s: a client stuck mid-connect may never call back. */
async function closeQuietly(client: Client): Promise<void> {
  await within(
    client.close().catch(() => undefined),
    1000,
  );
}

/**
 * Stops an open that timed out or was aborted: the SDK's own would run on (up to a minute), then blame a quiet peer.
 */
async function stopOpening(client: Client, session: ConnectionSession, opening: Promise<void>): Promise<void> {
  opening.catch(() => undefined);
  session.close();
  await closeQuietly(client);
}
