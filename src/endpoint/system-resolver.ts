import { promises as dns } from 'node:dns';
import net from 'node:net';
import { within } from '../support/abort';
import type { VerifyOptions } from './types';

/** What the system resolver (getaddrinfo) said, before classification. */
export interface SystemAnswer {
  addresses: { address: string; family: 4 | 6 }[];
  rcode?: string;
  error?: string;
}

/** getaddrinfo through Node, every address, in the order the system gives them. */
export const defaultSystemLookup: NonNullable<VerifyOptions['systemLookup']> = async (host) => {
  const all = await dns.lookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * Resolves through the system resolver, cut at `timeoutMs` (getaddrinfo cannot be cancelled; we stop waiting).
 * Never rejects except with AbortedError.
 */
export function querySystem(
  host: string,
  lookup: NonNullable<VerifyOptions['systemLookup']>,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<SystemAnswer> {
  const answer = Promise.resolve()
    .then(() => lookup(host))
    .then(toAnswer, mapLookupError);
  return within(answer, options.timeoutMs, options.signal, `resolving ${host} with the system resolver`).then(
    (outcome): SystemAnswer => (outcome === 'timeout' ? { addresses: [], error: 'timeout' } : outcome),
  );
}

/** A lookup's result as an answer; anything but a list of IP addresses is `invalid-lookup-result`. */
function toAnswer(result: unknown): SystemAnswer {
  if (
    !Array.isArray(result) ||
    result.some((a: { address?: unknown }) => !a || typeof a.address !== 'string' || !net.isIP(a.address))
  ) {
    return { addresses: [], error: 'invalid-lookup-result' };
  }
  const addresses = (result as { address: string }[]).map((a) => ({
    address: a.address,
    family: (net.isIPv6(a.address) ? 6 : 4) as 4 | 6,
  }));
  return addresses.length ? { addresses, rcode: 'NOERROR' } : { addresses, rcode: 'NOERROR', error: 'ENODATA' };
}

function mapLookupError(err: unknown): SystemAnswer {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOTFOUND':
      return { addresses: [], rcode: 'NXDOMAIN', error: code };
    case 'ENODATA':
      return { addresses: [], rcode: 'NOERROR', error: code };
    case 'ESERVFAIL':
      return { addresses: [], rcode: 'SERVFAIL', error: code };
    case 'ETIMEOUT':
      return { addresses: [], error: 'timeout' };
    default:
      return { addresses: [], error: code ?? (err instanceof Error ? err.message : String(err)) };
  }
}
