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
 * Field names whose value is a secret. Matched on the whole name, so `key` and `symmetricKey` are secret while
 * `keyFile` (a path) and `keyMatches` (a verdict) are not.
 */
const SECRET_NAME = /^(key|privatekey|symmetrickey|primarykey|secondarykey|sharedaccesskey|devicekey|groupkey|passphrase|password|secret|token|sastoken|sas|signature|sig|connectionstring)$/i;

/** Values that are secrets whatever the field is called: SAS tokens, connection strings, private keys. */
const SECRET_VALUE = /SharedAccessSignature|SharedAccessKey=|[?&]sig=|-----BEGIN [A-Z ]*PRIVATE KEY-----/i;

/** `scheme://user:password@host` → `scheme://[redacted]@host` (proxy URLs in the environment carry credentials). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;

/**
 * A copy of `value` that is safe to log, render or put in a support bundle: secret fields and secret-looking values
 * are replaced, and credentials are cut out of URLs. Buffers are dropped to their length (they may hold key bytes).
 */
export function redact<T>(value: T): T {
  return redactValue(value, undefined) as T;
}

function redactValue(value: unknown, name: string | undefined): unknown {
  if (value === undefined || value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (name !== undefined && SECRET_NAME.test(name)) return REDACTED;
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? REDACTED : value.replace(URL_USERINFO, `$1${REDACTED}@`);
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, undefined));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactValue(v, k);
    return out;
  }
  return value;
}
