import createDebug from 'debug';

/**
 * The one logger factory. Namespaces follow the Azure SDK convention: enable with `DEBUG=dps-private-link:*`.
 * Silent by default. Never pass a key, a SAS token or a passphrase to a logger: log names, addresses and codes.
 */
export function logger(area: string): createDebug.Debugger {
  return createDebug(`dps-private-link:${area}`);
}

const REDACTED = '[redacted]';

/**
 * Words that make a field secret wherever they stand in its name (`proxyPassword`, `keyPassphrase`, `clientSecret`).
 */
const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'secret']);
/**
 * Words that name a secret when they end the field name (`sasToken`, `sas_token`, `symmetricKey`) or are followed by
 * a word for its raw form (`privateKeyPem`); elsewhere they describe it (`keyFile`, `tokenTtlSeconds`, `sasExpiresAt`).
 */
const SECRET_NOUNS = new Set(['key', 'token', 'sas', 'sig', 'signature']);
const RAW_FORM = new Set(['pem', 'der', 'data', 'bytes', 'material', 'value', 'base64', 'b64']);

/** `symmetricKey`, `DPS_SYMMETRIC_KEY`, `device-key` → their words, lower case. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** True for field names whose value is a secret; `keyFile` (a path) and `keyMatches` (a verdict) are not. */
export function isSecretName(name: string): boolean {
  const w = words(name);
  if (w.some((x) => SECRET_WORDS.has(x)) || w.join('').includes('connectionstring')) return true;
  const last = w[w.length - 1];
  const beforeLast = w[w.length - 2];
  if (last === undefined) return false;
  return SECRET_NOUNS.has(last) || (beforeLast !== undefined && SECRET_NOUNS.has(beforeLast) && RAW_FORM.has(last));
}

/**
 * Secret shapes inside any text, each replaced by itself minus the secret, so the rest of a message (an SDK error
 * that merely mentions "SharedAccessSignature") stays readable for the technician.
 */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, '[redacted private key]'],
  [/SharedAccessSignature\s+sr=[^\s"'<>]*/gi, `SharedAccessSignature ${REDACTED}`],
  [/(SharedAccessKey=)[^;\s"'<>]*/gi, `$1${REDACTED}`],
  [/(^|[?&;\s"'])(sig=)[^&;\s"'<>]*/gi, `$1$2${REDACTED}`],
  // The same inside URL-encoded text (a token passed through encodeURIComponent): up to the encoded & or ;.
  [/(sig%3D|SharedAccessKey%3D)(?:(?!%26|%3B)[^&;\s"'<>])*/gi, `$1${REDACTED}`],
  // user:password@host, with or without a scheme; the password may contain '@', ':' or '/', so cut at the last '@'
  // that is followed by a host. An e-mail address (no ':' before the '@') is left alone.
  [
    /(^|[\s"'(<=,])((?:[a-z][a-z0-9+.-]*:\/\/)?)[^\s"'<>@]*:[^\s"'<>]*@(?=[a-z0-9.[\]:-]+(?:[/?#\s"'>),]|$))/gi,
    `$1$2${REDACTED}@`,
  ],
];

function scrub(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  // A private key block without its END line: nothing after BEGIN can be trusted to be harmless.
  return /PRIVATE KEY-----/.test(out) && /-----BEGIN/.test(out) ? REDACTED : out;
}

/**
 * A copy of `value` that is safe to log, render or put in a support bundle: secret fields are replaced, secret
 * shapes are cut out of strings (SAS tokens, SharedAccessKey=, sig=, private keys, URL credentials), binary data is
 * reduced to its length, dates become ISO strings and cycles are cut. It cannot recognise a bare base64 key stored
 * under an innocuous name: never put credentials into evidence in the first place.
 */
export function redact<T>(value: T): T {
  return redactValue(value, undefined, new WeakSet()) as T;
}

function redactValue(value: unknown, name: string | undefined, seen: WeakSet<object>): unknown {
  if (value === undefined || value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (name !== undefined && isSecretName(name)) return REDACTED;
  if (typeof value === 'string') return scrub(value);
  if (typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  // `seen` holds the path from the root only, so an object referenced twice (not a cycle) is kept both times.
  let out: unknown;
  if (Array.isArray(value)) out = value.map((v) => redactValue(v, undefined, seen));
  else {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) copy[k] = redactValue(v, k, seen);
    out = copy;
  }
  seen.delete(value);
  return out;
}
