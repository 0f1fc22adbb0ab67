import net from 'node:net';
import { InvalidOptionError } from '../errors';
import { describe, describeSecret, withAuthScrubbed } from '../redact';
import { normaliseHost, ownOptions, resolveNetworkOptions, type ResolvedNetwork } from '../endpoint/options';
import { defaultConnector, type Connector } from '../connection/connector';
import type { EndpointCache } from '../endpoint/cache';
import { isTransportName, TRANSPORTS } from '../connection/transports';
import type { PemInput, ProxyAddress, TlsMinVersion } from '../connection/types';
import type { Finding } from '../findings/types';
import { checkX509, type ContextPolicy } from './credentials';
import type tls from 'node:tls';
import type { DeviceAuth, ProvisionOptions, TransportName } from './types';
import { MAX_DELAY_MS } from '../support/abort';

/** Defaults of {@link ProvisionOptions}, in one place. */
export const PROVISION_DEFAULTS = {
  transport: 'mqtt' as TransportName,
  minVersion: 'TLSv1.2' as TlsMinVersion,
  timeoutMs: 60_000,
  maxAttempts: 5,
  baseDelayMs: 1000,
  jitter: 0.2,
  port: 8883,
  wsPort: 443,
};

/** setTimeout's ceiling: a longer delay silently fires after 1 ms, so no timer option may exceed it. */
export const MAX_TIMER_MS = MAX_DELAY_MS;

/** {@link ProvisionOptions} after validation: every default filled in, nothing shared with the caller's object. */
export interface ResolvedProvisionOptions {
  host: string;
  idScope: string;
  registrationId: string;
  auth: DeviceAuth;
  /** DEVICE_KEY_MISMATCH: the key does not belong to the certificate (thrown before any packet). */
  keyMismatch?: Finding;
  /** X.509: the context built from `ca`, `minVersion` and the credential; every DPS socket of the call uses it. */
  secureContext?: tls.SecureContext;
  network: ResolvedNetwork;
  transport: TransportName;
  /** The port of the chosen transport (`port` for mqtt, `wsPort` for mqtt-ws). */
  servicePort: number;
  /** Opens every socket of the run (default {@link defaultConnector}). */
  connector: Connector;
  /** Verified reports shared between calls (ProvisionOptions.endpointCache). */
  endpointCache?: EndpointCache;
  ca?: PemInput | PemInput[];
  minVersion: TlsMinVersion;
  timeoutMs: number;
  signal?: AbortSignal;
  cachePath?: string;
  forceReprovision: boolean;
  payload?: unknown;
  onProgress?: ProvisionOptions['onProgress'];
  retry: { maxAttempts: number; baseDelayMs: number; jitter: number };
  proxy?: ProxyAddress;
}

const isPem = (v: unknown): v is PemInput => (typeof v === 'string' && v.length > 0) || Buffer.isBuffer(v);

/**
 * Checks a `{cert,key,passphrase?} | {symmetricKey}` auth object; names the field and never echoes a secret. X.509
 * credentials are parsed (DER converted to PEM) and the key matched against the certificate: `mismatch` is
 * DEVICE_KEY_MISMATCH, for the caller to throw as its own error type.
 */
export function checkAuth(
  input: unknown,
  name = 'auth',
  policy?: ContextPolicy,
): { auth: DeviceAuth; mismatch?: Finding; context?: tls.SecureContext } {
  // Own properties only: an `Object.prototype.symmetricKey` must not turn X.509 credentials into a key.
  const auth = ownOptions(input);
  if (!auth || typeof auth !== 'object') {
    throw new InvalidOptionError(
      name,
      `expected an object, got ${describeSecret(auth)}`,
      'Pass { cert, key } (PEM) or { symmetricKey } (base64).',
    );
  }
  const a = auth as Record<string, unknown>;
  // Both kinds at once (a key left over from a move to X.509, say): choosing one silently would register the device
  // with a credential its owner may believe gone.
  if (a.symmetricKey !== undefined && (a.cert !== undefined || a.key !== undefined))
    throw new InvalidOptionError(
      name,
      'holds both symmetricKey and cert/key (values not shown)',
      'Pass one credential: { cert, key } for X.509, or { symmetricKey } for a symmetric-key enrollment.',
    );
  if ('symmetricKey' in a) {
    if (
      typeof a.symmetricKey !== 'string' ||
      !/^[A-Za-z0-9+/]+={0,2}$/.test(a.symmetricKey) ||
      a.symmetricKey.length < 16
    ) {
      throw new InvalidOptionError(
        `${name}.symmetricKey`,
        'is not a base64 key (value not shown)',
        'Pass the device key from the enrollment (for a group enrollment, the key derived for this registration id).',
      );
    }
    return { auth: { symmetricKey: a.symmetricKey } };
  }
  if (!isPem(a.cert))
    throw new InvalidOptionError(
      `${name}.cert`,
      `expected a PEM certificate, got ${describeSecret(a.cert)}`,
      'Pass the device certificate chain (leaf first) as a PEM string or Buffer.',
    );
  if (!isPem(a.key))
    throw new InvalidOptionError(
      `${name}.key`,
      'is missing or empty (value not shown)',
      'Pass the private key of the device certificate as a PEM string or Buffer.',
    );
  if (a.passphrase !== undefined && typeof a.passphrase !== 'string')
    throw new InvalidOptionError(
      `${name}.passphrase`,
      'must be a string (value not shown)',
      'Pass the key passphrase as a string, or leave it out.',
    );
  return checkX509(a.cert, a.key, a.passphrase as string | undefined, name, policy);
}

/** Checks `tls.ca` / `tls.minVersion`. */
export function checkTls(input: unknown, name = 'tls'): { ca?: PemInput | PemInput[]; minVersion: TlsMinVersion } {
  const tls = ownOptions(input);
  if (tls === undefined) return { minVersion: PROVISION_DEFAULTS.minVersion };
  if (!tls || typeof tls !== 'object')
    throw new InvalidOptionError(
      name,
      `expected an object, got ${describe(tls)}`,
      "Pass e.g. { minVersion: 'TLSv1.2', ca: pem }.",
    );
  const t = tls as Record<string, unknown>;
  const minVersion = (t.minVersion ?? PROVISION_DEFAULTS.minVersion) as TlsMinVersion;
  if (minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3') {
    throw new InvalidOptionError(
      `${name}.minVersion`,
      `${describe(t.minVersion)} is not allowed`,
      "Use 'TLSv1.2' (default) or 'TLSv1.3'; Azure DPS and IoT Hub refuse anything lower.",
    );
  }
  if (t.ca !== undefined && !isPem(t.ca) && !(Array.isArray(t.ca) && t.ca.every(isPem))) {
    throw new InvalidOptionError(
      `${name}.ca`,
      `expected PEM text, a Buffer or an array of them, got ${describe(t.ca)}`,
      'Pass DigiCert Global Root G2 / Microsoft RSA Root CA 2017 in PEM, or leave it out to use the bundled store.',
    );
  }
  return { ...(t.ca !== undefined ? { ca: t.ca as PemInput | PemInput[] } : {}), minVersion };
}

/**
 * How a proxy value is echoed in an error: by shape only (type and length) when it fails to parse or carries
 * credentials in any form (an `@` anywhere), else rebuilt from scheme and host alone, so no path, query or userinfo
 * of the caller's string can reach the message.
 */
function describeProxy(proxy: string, url: URL | undefined): string {
  if (!url || url.username || url.password || proxy.includes('@'))
    return `${describeSecret(proxy)}${proxy.includes('@') ? ' with credentials' : ''}`;
  return JSON.stringify(`${url.protocol}//${url.host}`);
}

/** Parses `http://ip:port` into a proxy address. Never echoes a value that fails to parse or carries credentials. */
export function checkProxy(proxy: unknown, name = 'proxy'): ProxyAddress {
  const fix =
    "Pass the proxy as 'http://<ip>:<port>', e.g. 'http://10.0.0.5:3128' (an IP address: the device must not resolve it).";
  if (typeof proxy !== 'string')
    throw new InvalidOptionError(name, `expected a URL string, got ${describe(proxy)}`, fix);
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    // No cause: Node's TypeError keeps the whole input (credentials included) in its `input` property.
    throw new InvalidOptionError(name, `${describeProxy(proxy, undefined)} is not a URL`, fix);
  }
  const address = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'http:' || !net.isIP(address) || url.username || url.password || proxy.includes('@')) {
    throw new InvalidOptionError(
      name,
      `${describeProxy(proxy, url)} is not http://<ip>:<port> without credentials`,
      fix,
    );
  }
  return { address, port: url.port ? Number(url.port) : 80 };
}

/**
 * The SDK JSON.stringifies the payload inside its MQTT state machine, where a throw (BigInt, a cycle) is uncaught and
 * takes the process down: serialise once here instead.
 */
function checkPayload(payload: unknown): void {
  const fix =
    'Pass plain JSON data (objects, arrays, strings, finite numbers, booleans, null): no BigInt, no cycles, no functions.';
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch (err) {
    throw new InvalidOptionError(
      'payload',
      `cannot be serialised as JSON (${String((err as Error)?.message ?? err).replace(/\s+/g, ' ')})`,
      fix,
      err,
    );
  }
  if (text === undefined) throw new InvalidOptionError('payload', `a ${typeof payload} has no JSON form`, fix);
}

/** Checks a TCP port option (1-65535), naming it; `undefined` means the default. */
export function checkPort(v: unknown, name: string, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535)
    throw new InvalidOptionError(name, `${describe(v)} is not a TCP port`, `Use an integer 1-65535 (default ${def}).`);
  return v;
}

function checkString(v: unknown, name: string, fix: string, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || (pattern && !pattern.test(v)))
    throw new InvalidOptionError(name, `got ${describe(v)}`, fix);
  return v;
}

/**
 * DPS registration ids as Azure documents them: a case-insensitive string of 1-128 alphanumerics and - . _ :, the
 * last character alphanumeric or `-` (the lab enforces the same rule). Upper case is accepted: an X.509 device's id
 * is its certificate CN, which may well have upper case, and DPS matches ids without regard to case.
 */
const REGISTRATION_ID = /^[A-Za-z0-9\-._:]{0,127}[A-Za-z0-9-]$/;

/** Validates {@link ProvisionOptions} once, at the door. Throws InvalidOptionError naming the option. */
export function resolveProvisionOptions(input: ProvisionOptions): ResolvedProvisionOptions {
  // Own properties only, here and in every nested option object: a polluted Object.prototype is not an option.
  const options = ownOptions(input);
  if (!options || typeof options !== 'object')
    throw new InvalidOptionError(
      'options',
      `expected an object, got ${describe(options)}`,
      'Pass { provisioningHost, idScope, registrationId, auth, network }.',
    );
  return withAuthScrubbed(options.auth, () => resolveChecked(options));
}

function resolveChecked(options: ProvisionOptions): ResolvedProvisionOptions {
  const host = normaliseHost(options.provisioningHost, 'provisioningHost');
  const idScope = checkString(
    options.idScope,
    'idScope',
    "Pass the DPS ID scope from the Azure portal (Overview), e.g. '0ne00000A1B'.",
    /^[A-Za-z0-9]{1,64}$/,
  );
  const registrationId = checkString(
    options.registrationId,
    'registrationId',
    'Pass the registration id (for X.509, the certificate CN): 1-128 letters, digits and - . _ :, ending in a letter, digit or -.',
    REGISTRATION_ID,
  );
  const tls = checkTls(options.tls);
  // The credential is read by building the context that carries it (see checkX509): once, for every socket of the call.
  const { auth, mismatch: keyMismatch, context: secureContext } = checkAuth(options.auth, 'auth', tls);
  const network = resolveNetworkOptions(options.network, 'network');
  const transport = checkTransport(options.transport ?? PROVISION_DEFAULTS.transport, 'transport');
  const timeoutMs = options.timeoutMs ?? PROVISION_DEFAULTS.timeoutMs;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      'timeoutMs',
      `${describe(timeoutMs)} is not a timeout`,
      `Use a positive number of milliseconds up to ${MAX_TIMER_MS} (about 24.8 days; default 60000).`,
    );
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    throw new InvalidOptionError(
      'signal',
      `expected an AbortSignal, got ${describe(options.signal)}`,
      'Pass AbortController.signal or leave it out.',
    );
  const cache = ownOptions(options.cache);
  if (cache !== undefined) {
    const fix = "Pass a file path, e.g. { path: '/var/lib/my-device/dps-cache.json' }.";
    // The likely slip, `cache: '/var/lib/…'`: said as such, not as a missing cache.path.
    if (cache === null || typeof cache !== 'object' || Array.isArray(cache))
      throw new InvalidOptionError('cache', `expected { path }, got ${describe(cache)}`, fix);
    if (typeof cache.path !== 'string' || cache.path.length === 0)
      throw new InvalidOptionError('cache.path', `got ${describe(cache.path)}`, fix);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw new InvalidOptionError(
      'onProgress',
      `expected a function, got ${describe(options.onProgress)}`,
      'Pass (event) => void or leave it out.',
    );
  const r = ownOptions(options.retry ?? {});
  const maxAttempts = r.maxAttempts ?? PROVISION_DEFAULTS.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100)
    throw new InvalidOptionError(
      'retry.maxAttempts',
      `${describe(maxAttempts)} is not an attempt count`,
      'Use an integer 1-100 (default 5).',
    );
  const baseDelayMs = r.baseDelayMs ?? PROVISION_DEFAULTS.baseDelayMs;
  if (typeof baseDelayMs !== 'number' || !(baseDelayMs >= 0 && baseDelayMs <= MAX_TIMER_MS)) {
    throw new InvalidOptionError(
      'retry.baseDelayMs',
      `${describe(baseDelayMs)} is not a delay`,
      `Use milliseconds from 0 to ${MAX_TIMER_MS} (default 1000).`,
    );
  }
  const jitter = r.jitter ?? PROVISION_DEFAULTS.jitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))
    throw new InvalidOptionError(
      'retry.jitter',
      `${describe(jitter)} is not a fraction`,
      'Use a number from 0 to 1 (default 0.2).',
    );
  if (options.payload !== undefined) checkPayload(options.payload);
  let proxy: ProxyAddress | undefined;
  if (options.proxy !== undefined) {
    if (!TRANSPORTS[transport].proxyable)
      throw new InvalidOptionError(
        'proxy',
        'only works with transport mqtt-ws',
        "Set transport: 'mqtt-ws' (HTTP CONNECT proxies carry WebSockets on 443), or remove proxy.",
      );
    proxy = checkProxy(options.proxy);
  }
  const port = checkPort(options.port, 'port', PROVISION_DEFAULTS.port);
  const wsPort = checkPort(options.wsPort, 'wsPort', PROVISION_DEFAULTS.wsPort);
  return {
    host,
    idScope,
    registrationId,
    auth,
    ...(keyMismatch ? { keyMismatch } : {}),
    ...(secureContext ? { secureContext } : {}),
    network,
    transport,
    servicePort: transport === 'mqtt' ? port : wsPort,
    connector: checkConnector(options.connector, 'connector'),
    ...(options.endpointCache !== undefined
      ? { endpointCache: checkEndpointCache(options.endpointCache, 'endpointCache') }
      : {}),
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    minVersion: tls.minVersion,
    timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(cache ? { cachePath: cache.path } : {}),
    forceReprovision: options.forceReprovision === true,
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    retry: { maxAttempts, baseDelayMs, jitter },
    ...(proxy ? { proxy } : {}),
  };
}

/** Checks an endpoint cache (an object with get and set, from createEndpointCache). */
export function checkEndpointCache(v: unknown, name: string): EndpointCache {
  const c = v as Record<string, unknown> | null;
  if (c && typeof c === 'object' && typeof c.get === 'function' && typeof c.set === 'function') {
    return v as EndpointCache;
  }
  throw new InvalidOptionError(
    name,
    `expected an endpoint cache, got ${describe(v)}`,
    'Build one with createEndpointCache().',
  );
}

/** Checks a transport name against {@link TRANSPORTS}, naming the option. */
export function checkTransport(v: unknown, name: string): TransportName {
  if (isTransportName(v)) return v;
  throw new InvalidOptionError(
    name,
    `${describe(v)} is not supported`,
    "Use 'mqtt' (8883, default) or 'mqtt-ws' (443).",
  );
}

/** Checks an injected connector (an object with the connector's methods); `undefined` means the default one. */
export function checkConnector(v: unknown, name: string): Connector {
  if (v === undefined) return defaultConnector;
  const methods = ['openTls', 'openTlsInspect', 'openTlsViaProxy', 'openTcp', 'openUdp'] as const;
  if (v && typeof v === 'object' && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function')) {
    return v as Connector;
  }
  throw new InvalidOptionError(
    name,
    `expected a connector (${methods.join(', ')}), got ${describe(v)}`,
    'Build one with createConnector(), or leave it out.',
  );
}
