import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';

/** One TLS-weakening setting found in the environment, and what it does to the process. */
export interface TlsWeakening {
  /** As shown to the user: `NODE_TLS_REJECT_UNAUTHORIZED=0` or `NODE_OPTIONS --flag[=value]`. */
  setting: string;
  effect: string;
}

/**
 * Cipher-list words that let a weak suite in: no encryption or no authentication, broken ciphers, export grades,
 * MD5 MACs. A list that only names strong suites, or excludes these (`!RC4`, `-3DES`), is not weakening; `ALL` is not
 * flagged either (it leaves out eNULL, and OpenSSL's security level still filters the rest).
 */
const WEAK_CIPHER_WORDS = new Set([
  'NULL',
  'ENULL',
  'ANULL',
  'COMPLEMENTOFALL',
  'RC4',
  'RC2',
  'DES',
  '3DES',
  'EXP',
  'EXPORT',
  'MD5',
  'LOW',
  'ADH',
  'AECDH',
  'IDEA',
]);

/** The entries of an OpenSSL cipher list that add a weak suite (or lower the security level to 0 or 1). */
function weakCiphers(list: string): string[] {
  return list.split(/[:, ]/).filter((entry) => {
    if (entry === '' || entry.startsWith('!') || entry.startsWith('-')) return false;
    const bare = entry.replace(/^\+/, '');
    if (/^@SECLEVEL=[01]$/i.test(bare)) return true;
    return bare.split(/[-+]/).some((word) => WEAK_CIPHER_WORDS.has(word.toUpperCase()));
  });
}

/** NODE_OPTIONS split as Node splits it: on spaces, with double quotes (and backslash escapes inside them). */
function splitNodeOptions(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === '\\' && i + 1 < value.length) current += value[++i];
    else if (c === '"') [quoted, started] = [!quoted, true];
    else if (c === ' ' && !quoted) {
      if (started) out.push(current);
      [current, started] = ['', false];
    } else [current, started] = [current + c, true];
  }
  if (started) out.push(current);
  return out;
}

/** What one node flag does to TLS, or undefined when it does not weaken it. */
function flagEffect(name: string, value: string | undefined): string | undefined {
  switch (name) {
    case '--tls-min-v1.0':
    case '--tls-min-v1.1':
      return `TLS clients that set no minVersion offer TLS ${name.slice(-3)} (${name})`;
    case '--tls-max-v1.0':
    case '--tls-max-v1.1':
      return `TLS clients that set no maxVersion are capped at TLS ${name.slice(-3)}, below what Azure accepts (${name})`;
    case '--openssl-legacy-provider':
      return "OpenSSL's legacy provider (MD4, RC4, DES, Blowfish…) is loaded for the whole process (--openssl-legacy-provider)";
    case '--tls-keylog':
      return (
        `the session keys of every TLS connection in the process, this library's included, are written to ${value ?? 'a file'}: ` +
        'whoever reads it can decrypt the traffic (--tls-keylog)'
      );
    case '--security-revert':
      return `the Node security fix ${value ?? ''} is reverted for the whole process (--security-revert)`;
    case '--tls-cipher-list': {
      const weak = weakCiphers(value ?? '');
      return weak.length
        ? `the default cipher list of every TLS socket that sets none, this library's included, allows ${weak.join(', ')} (--tls-cipher-list)`
        : undefined;
    }
    default:
      return undefined;
  }
}

/** Flags that take a value, in `--flag=value` or `--flag value` form. */
const VALUE_FLAGS = new Set(['--tls-keylog', '--security-revert', '--tls-cipher-list']);

/** The TLS-weakening node flags in a NODE_OPTIONS value (only those: the rest of it is never echoed). */
function nodeOptionWeakenings(value: string): TlsWeakening[] {
  const tokens = splitNodeOptions(value);
  const found: TlsWeakening[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const [rawName, inline] = tokens[i].split(/=(.*)/s, 2);
    // Node reads `_` in a flag name as `-` (--tls_min_v1.0 is --tls-min-v1.0).
    const name = rawName.startsWith('--') ? `--${rawName.slice(2).replace(/_/g, '-')}` : rawName;
    const takesValue = VALUE_FLAGS.has(name);
    const flagValue = takesValue ? (inline ?? tokens[++i]) : undefined;
    const effect = flagEffect(name, flagValue);
    if (effect)
      found.push({ setting: `NODE_OPTIONS ${name}${flagValue !== undefined ? `=${flagValue}` : ''}`, effect });
  }
  return found;
}

/**
 * The settings in `env` that weaken TLS for TLS clients that do not set their own options: NODE_TLS_REJECT_UNAUTHORIZED
 * exactly `0` (the only value Node acts on), and in NODE_OPTIONS --tls-min-v1.0/1.1, --tls-max-v1.0/1.1,
 * --openssl-legacy-provider, --tls-keylog, --security-revert and a --tls-cipher-list that adds weak suites.
 * Not flagged: --tls-max-v1.2 (Azure accepts 1.2), --use-openssl-ca / --use-bundled-ca (a trust store choice),
 * --insecure-http-parser (HTTP, not TLS). Flags on the node command line rather than in NODE_OPTIONS are not read.
 */
export function tlsWeakenings(env: NodeJS.ProcessEnv): TlsWeakening[] {
  const found: TlsWeakening[] = [];
  if (env['NODE_TLS_REJECT_UNAUTHORIZED'] === '0') {
    found.push({
      setting: 'NODE_TLS_REJECT_UNAUTHORIZED=0',
      effect:
        'TLS clients that do not set rejectUnauthorized accept any certificate, so a man in the middle goes unnoticed (NODE_TLS_REJECT_UNAUTHORIZED=0)',
    });
  }
  return [...found, ...nodeOptionWeakenings(env['NODE_OPTIONS'] ?? '')];
}

/** ENV_TLS_WEAKENED (a warning) when `env` weakens TLS (see {@link tlsWeakenings}), else undefined. */
export function tlsEnvironmentFinding(env: NodeJS.ProcessEnv = process.env): Finding | undefined {
  const weakenings = tlsWeakenings(env);
  if (weakenings.length === 0) return undefined;
  return createFinding('ENV_TLS_WEAKENED', {
    settings: weakenings.map((w) => w.setting),
    effects: weakenings.map((w) => w.effect),
  });
}
