/**
 * The one redaction module: what may be shown of a value that might be a secret. Everything that writes a value into a
 * message, a log line, JSON output or a support bundle goes through here:
 * - {@link describe} / {@link describeSecret}: a bad value in an error message, by type and size when it looks secret;
 * - {@link redact}: a structure for output, secret fields blanked and secret shapes cut out of text;
 * - {@link redactUserinfo}: a URL's credentials;
 * - {@link withAuthScrubbed}: a known secret (the caller's key or passphrase) pasted into another option.
 */
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
export function redact<T>(value: T, options: RedactOptions = {}): T {
  const secrets = knownSecrets(options.secrets ?? []);
  const text = secrets.length ? (s: string): string => scrubKnown(scrub(s), secrets) : scrub;
  return redactValue(value, undefined, new WeakSet(), text) as T;
}

/** Options of {@link redact}. */
export interface RedactOptions {
  /**
   * Secrets known to the caller (a symmetric key, a passphrase from the environment): cut out of every string,
   * whatever field they were pasted into. Values shorter than 4 characters are ignored (see {@link knownSecrets}).
   */
  secrets?: readonly unknown[];
}

/**
 * The usable known secrets of `values`: strings of at least 4 characters (shorter ones would garble every message
 * without protecting anything), with their JSON-escaped forms, longest first so a secret containing another is cut
 * whole.
 */
export function knownSecrets(values: readonly unknown[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (typeof v !== 'string' || v.length < 4) continue;
    out.add(v);
    out.add(JSON.stringify(v).slice(1, -1)); // as it stands inside JSON text
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** What an error message says in place of a known secret. */
const NOT_SHOWN = '(secret not shown)';

/** `text` with every occurrence of each of `secrets` (from {@link knownSecrets}) replaced by `[redacted]`. */
export function scrubKnown(text: string, secrets: readonly string[], replacement = REDACTED): string {
  return secrets.reduce((t, secret) => (t.includes(secret) ? t.split(secret).join(replacement) : t), text);
}

/**
 * True for a value that must be shown by shape only: a string equal to one of `secrets`, or one that looks like a
 * credential (see {@link describe}).
 */
export function looksSecret(value: unknown, secrets: readonly unknown[] = []): boolean {
  if (typeof value !== 'string') return false;
  return (
    secrets.includes(value) || SECRET_LOOKING.test(value) || KEY_SHAPED.test(value.trim()) || KEY_INSIDE.test(value)
  );
}

/**
 * How a configuration value may be shown: as it is, or (when it equals a known secret or looks like a credential —
 * a key pasted into `--id-scope`) by type and length only. Lists item by item.
 */
export function shownValue(value: unknown, secrets: readonly unknown[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => shownValue(v, secrets));
  return looksSecret(value, secrets) ? describeSecret(value) : value;
}

function redactValue(
  value: unknown,
  name: string | undefined,
  seen: WeakSet<object>,
  text: (s: string) => string,
): unknown {
  if (value === undefined || value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (name !== undefined && isSecretName(name)) return REDACTED;
  if (typeof value === 'string') return text(value);
  // JSON has no BigInt (JSON.stringify would throw on it): its digits, as text.
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  // `seen` holds the path from the root only, so an object referenced twice (not a cycle) is kept both times.
  let out: unknown;
  if (Array.isArray(value)) out = value.map((v) => redactValue(v, undefined, seen, text));
  else {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) copy[k] = redactValue(v, k, seen, text);
    out = copy;
  }
  seen.delete(value);
  return out;
}

// Strings that are or carry a credential: connection strings, SAS tokens, PEM private keys, URL userinfo.
const SECRET_LOOKING = /SharedAccessKey|SharedAccessSignature|\bsig=|PRIVATE KEY|:\/\/(?!\*\*\*@)[^/@\s]*@/i;
// A base64 symmetric key on its own (32 or 64 bytes: what DPS and IoT Hub generate), put into the wrong option. An
// id scope, host or registration id never has this shape, so treating it as secret costs no useful echo.
const KEY_SHAPED = /^(?:[A-Za-z0-9+/]{43}=|[A-Za-z0-9+/]{86}==)$/;
// The same key glued to something else (`10.0.0.1:<key>`, `10.0.0.0/<key>`; `/` is base64 too, so no boundary is
// required): a run of 43+ base64 characters and padding is no host, port or prefix length.
const KEY_INSIDE = /[A-Za-z0-9+/]{43}=/;

/**
 * A short description of an unexpected value for error messages (never the whole object). A string that looks like
 * it is or carries a credential (a 32- or 64-byte base64 key, a connection string, a SAS token, a private key, URL
 * userinfo) is described by type and length only, as {@link describeSecret} does.
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    if (SECRET_LOOKING.test(value) || KEY_SHAPED.test(value.trim()) || KEY_INSIDE.test(value))
      return describeSecret(value);
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  }
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * Describes a value that may be a secret (a key, a token, a passphrase, a connection string) by its type and size
 * only, e.g. `a string of 88 characters (not shown)`: what the caller passed, without what it says.
 */
export function describeSecret(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters (not shown)`;
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes (not shown)`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value} (not shown)`;
}

/**
 * `url` with everything from the scheme (or the start) up to the LAST `@` replaced by `***@`, for echoing a URL in a
 * message. The last `@`, not the first: a password may itself hold `@` or `/` (`http://u:p@ss@h`, `http://u:pa/ss@h`),
 * and a value without a scheme (`u:pw@h:3128`) carries userinfo too. Cannot handle whitespace inside a password
 * (`u:pa ss@h`): when the value is a credential-bearing option, describe it with {@link describeSecret} instead.
 */
export function redactUserinfo(url: string): string {
  return url.replace(
    /(^|\s)([A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^\s]*@/g,
    (_m, lead: string, scheme: string | undefined) => `${lead}${scheme ?? ''}***@`,
  );
}

/** The secret strings of an auth value as passed (before any validation): what no error message may contain. */
export function authSecrets(auth: unknown): string[] {
  const values =
    auth && typeof auth === 'object'
      ? [
          (auth as Record<string, unknown>).symmetricKey,
          (auth as Record<string, unknown>).passphrase,
          (auth as Record<string, unknown>).key,
        ]
      : [auth];
  // Shorter values are not scrubbed: replacing every "abc" in a message would garble it without protecting anything.
  return values.filter((v): v is string => typeof v === 'string' && v.length >= 4).sort((a, b) => b.length - a.length);
}

/**
 * Runs `check` and, if it throws an error whose message (or stack) contains the key, key PEM or
 * passphrase of `auth`, replaces each occurrence with `(secret not shown)`. describe() already hides values shaped
 * like secrets; this catches a secret of any shape pasted into another option (a passphrase as the id scope).
 */
export function withAuthScrubbed<T>(auth: unknown, check: () => T): T {
  const secrets = authSecrets(auth);
  try {
    return check();
  } catch (err) {
    if (err instanceof Error && secrets.length > 0) {
      err.message = scrubKnown(err.message, secrets, NOT_SHOWN);
      if (err.stack) err.stack = scrubKnown(err.stack, secrets, NOT_SHOWN);
    }
    throw err;
  }
}
