// Loaded with `--require` into a child process (a mocha run of the shared suites, dps-check, dps-lab): records every
// secret the process makes or uses, and writes them as JSON to SECRETS_OUT at exit, for the parent to scan the child's
// output with. It watches Node's own modules, which every layer (ours, the lab's, the Azure SDK's) calls through:
// - crypto.randomBytes of 32 bytes or more: symmetric keys and group keys (base64);
// - crypto.createHmac: its key (the device key a SAS is signed with, derived group keys included) and its digest
//   (the SAS signature, a derived device key);
// - crypto.generateKeyPairSync and tls.connect's `key` / `passphrase`: private keys (PEM) and passphrases.
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import tls from 'node:tls';

const found = { keys: new Set<string>(), pems: new Set<string>(), passphrases: new Set<string>() };
const base64 = (v: unknown): string | undefined =>
  Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'string' ? Buffer.from(v, 'base64').toString('base64') : undefined; // prettier-ignore

const m = crypto as unknown as Record<string, (...a: unknown[]) => unknown>;
const randomBytes = m.randomBytes!;
m.randomBytes = function (size: unknown, cb?: unknown) {
  if (typeof cb === 'function') {
    return randomBytes.call(crypto, size, (err: Error | null, buf: Buffer) => {
      if (!err && (size as number) >= 32) found.keys.add(buf.toString('base64'));
      (cb as (e: Error | null, b: Buffer) => void)(err, buf);
    });
  }
  const buf = randomBytes.call(crypto, size) as Buffer;
  if ((size as number) >= 32) found.keys.add(buf.toString('base64'));
  return buf;
};

const createHmac = m.createHmac!;
m.createHmac = function (...args: unknown[]) {
  const key = base64(args[1]);
  if (key && key.length >= 16) found.keys.add(key);
  const hmac = createHmac.apply(crypto, args) as crypto.Hmac;
  const digest = hmac.digest.bind(hmac) as (enc?: BufferEncoding) => Buffer | string;
  (hmac as unknown as { digest: unknown }).digest = (enc?: BufferEncoding) => {
    const out = digest(enc);
    found.keys.add(
      Buffer.isBuffer(out) ? out.toString('base64') : Buffer.from(out, enc ?? 'base64').toString('base64'),
    );
    return out;
  };
  return hmac;
};

const generateKeyPairSync = m.generateKeyPairSync!;
m.generateKeyPairSync = function (...args: unknown[]) {
  const pair = generateKeyPairSync.apply(crypto, args) as { privateKey: crypto.KeyObject | string };
  const pk = pair.privateKey;
  found.pems.add(typeof pk === 'string' ? pk : String(pk.export({ type: 'pkcs8', format: 'pem' })));
  return pair;
};

const t = tls as unknown as Record<string, (...a: unknown[]) => unknown>;
const connect = t.connect!;
t.connect = function (...args: unknown[]) {
  const o = args.find((a) => a && typeof a === 'object') as { key?: unknown; passphrase?: unknown } | undefined;
  if (o?.key) for (const k of [o.key].flat()) found.pems.add(String(k));
  if (typeof o?.passphrase === 'string' && o.passphrase) found.passphrases.add(o.passphrase);
  return connect.apply(tls, args);
};

process.on('exit', () => {
  const out = process.env['SECRETS_OUT'];
  if (!out) return;
  const all = { keys: [...found.keys], pems: [...found.pems], passphrases: [...found.passphrases] };
  writeFileSync(out, JSON.stringify(all));
});
