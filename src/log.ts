import createDebug from 'debug';

/**
 * The one logger factory. Namespaces follow the Azure SDK convention: enable with `DEBUG=dps-private-link:*`.
 * Silent by default. Never pass a key, a SAS token or a passphrase to a logger: log names, addresses and codes.
 */
export function logger(area: string): createDebug.Debugger {
  return createDebug(`dps-private-link:${area}`);
}

// Redaction lives in src/redact.ts; re-exported for existing imports.
export { isSecretName, redact } from './redact';
