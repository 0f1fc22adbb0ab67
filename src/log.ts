import createDebug from 'debug';

/**
 * The one logger factory. Namespaces follow the Azure SDK convention: enable with `DEBUG=dps-private-link:*`.
 * Silent by default. Never pass a key, a SAS token or a passphrase to a logger: log names, addresses and codes.
 */
export function logger(area: string): createDebug.Debugger {
  return createDebug(`dps-private-link:${area}`);
}

const SECRET_KEYS = /key|token|sas|secret|passphrase|password|signature|sharedaccess/i;

/** A copy of an object with every secret-looking field replaced, for logs and support bundles. */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redact) as T;
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEYS.test(k) && v !== undefined && v !== null && typeof v !== 'boolean' ? '[redacted]' : redact(v);
    }
    return out as T;
  }
  return value;
}
