import crypto from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { normaliseHost } from '../endpoint/options';
import { writeFileAtomic } from '../support/atomic-write';
import type { DeviceAuth, TransportName } from './types';

/**
 * IoT Hub device ids: at most 128 of ASCII letters, digits and - . + % _ # * ? ! ( ) , : = @ $ '. No `;`, so a
 * device id can never smuggle a field into the connection string the hub client builds.
 */
export const DEVICE_ID = /^[A-Za-z0-9\-.+%_#*?!(),:=@$']{1,128}$/;

/** What the cache file holds. No secret: the credential is only a SHA-256 fingerprint. */
export interface CacheRecord {
  version: 1;
  provisioningHost: string;
  idScope: string;
  registrationId: string;
  assignedHub: string;
  deviceId: string;
  provisionedAt: string;
  /** `x509:<SHA-256 thumbprint of the leaf certificate>` or `sas:<SHA-256 of the key>`. */
  credential: string;
  tls: { protocol: string; cipher: string };
  transport: TransportName;
  payload?: unknown;
}

/** Outcome of reading the cache: usable, absent/stale (with why), or unreadable (reported, then replaced). */
export type CacheRead =
  { kind: 'hit'; record: CacheRecord } | { kind: 'miss'; reason: string } | { kind: 'corrupt'; detail: string };

/** The fingerprint that ties a cached assignment to the credential it was made with. */
export function credentialFingerprint(auth: DeviceAuth): string {
  if ('symmetricKey' in auth) return `sas:${crypto.createHash('sha256').update(auth.symmetricKey).digest('hex')}`;
  const pem = String(auth.cert);
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] ?? pem;
  return `x509:${new crypto.X509Certificate(leaf).fingerprint256.replace(/:/g, '')}`;
}

/** Reads and checks the cache for this device; a record for another host, scope, id or credential is a miss. */
export async function readCache(
  file: string,
  expect: Pick<CacheRecord, 'provisioningHost' | 'idScope' | 'registrationId' | 'credential'>,
): Promise<CacheRead> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'miss', reason: 'no cache file' };
    // A path through a file cannot hold a cache at all: nothing to call corrupt; the write reports it.
    if (code === 'ENOTDIR') return { kind: 'miss', reason: 'a parent of the cache path is not a directory' };
    return { kind: 'corrupt', detail: `cannot read: ${(err as Error).message}` };
  }
  let record: Partial<CacheRecord>;
  try {
    record = JSON.parse(text) as Partial<CacheRecord>;
  } catch (err) {
    return { kind: 'corrupt', detail: `not JSON (${(err as Error).message})` };
  }
  const fields = [
    'provisioningHost',
    'idScope',
    'registrationId',
    'assignedHub',
    'deviceId',
    'provisionedAt',
    'credential',
  ] as const;
  if (
    !record ||
    typeof record !== 'object' ||
    record.version !== 1 ||
    fields.some((k) => typeof record[k] !== 'string') ||
    typeof record.tls !== 'object'
  ) {
    return { kind: 'corrupt', detail: 'missing or malformed fields' };
  }
  // Semantic checks too: a value that merely has the right type would otherwise fail every later call with an error
  // that blames the caller's options (or end up inside a connection string), and the file would never be replaced.
  const invalid = invalidField(record as CacheRecord);
  if (invalid) return { kind: 'corrupt', detail: invalid };
  if (record.credential !== expect.credential) return { kind: 'miss', reason: 'the device credential changed' };
  for (const k of ['provisioningHost', 'idScope', 'registrationId'] as const) {
    if (record[k] !== expect[k]) return { kind: 'miss', reason: `${k} changed` };
  }
  // Compared and used normalised: a file written before names were normalised on write (upper case, trailing dot, as
  // DPS sent it) is the same hub, not a corrupt file.
  return {
    kind: 'hit',
    record: { ...(record as CacheRecord), assignedHub: hubName(record.assignedHub as string) as string },
  };
}

/** `name` as a normalised hub host name (lower case, no trailing dot), or undefined if it is none (an IP, a URL…). */
function hubName(name: string): string | undefined {
  try {
    const hub = normaliseHost(name, 'assignedHub');
    return net.isIP(hub) ? undefined : hub;
  } catch {
    return undefined;
  }
}

/** Names the first field of `r` that no real assignment could hold, or undefined when every field is plausible. */
function invalidField(r: CacheRecord): string | undefined {
  if (!hubName(r.assignedHub)) return 'assignedHub is not a hub host name';
  if (!DEVICE_ID.test(r.deviceId)) return 'deviceId is not a valid IoT Hub device id';
  if (r.transport !== 'mqtt' && r.transport !== 'mqtt-ws') return 'transport is not mqtt or mqtt-ws';
  const tls = r.tls as unknown as Record<string, unknown> | null;
  if (!tls || typeof tls.protocol !== 'string' || typeof tls.cipher !== 'string')
    return 'tls is not { protocol, cipher }';
  if (Number.isNaN(Date.parse(r.provisionedAt))) return 'provisionedAt is not a date';
  return undefined;
}

/**
 * Writes the record atomically through {@link writeFileAtomic} (temp file, mode 0600, in the same directory; fsync;
 * rename; fsync the directory), creating the directory (0700) first. No failure leaves the temporary file behind.
 * The hub name is stored normalised (DPS may send upper case or a trailing dot), the form {@link readCache} compares.
 */
export async function writeCache(file: string, input: CacheRecord): Promise<void> {
  const hub = hubName(input.assignedHub);
  if (!hub) throw new Error('the assigned hub is not a hub host name; not cached');
  const record: CacheRecord = { ...input, assignedHub: hub };
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/** Deletes the cache (e.g. after the hub rejected the cached identity). Missing is fine. */
export async function clearCache(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}
