import type { LookupFunction } from 'node:net';
import net from 'node:net';

/**
 * A `lookup` for net/tls that answers only `host` and only with the already-verified addresses: no DNS query is ever
 * made, so a resolver that changes its answer between verification and connection (DNS rebinding) cannot redirect us.
 * Node 20 calls it with `{ all: true }` when autoSelectFamily is on and then expects an array.
 */
export function pinnedLookup(host: string, addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }));
  const lookup = (hostname: string, options: unknown, callback: (...args: unknown[]) => void): void => {
    const cb = typeof options === 'function' ? (options as (...args: unknown[]) => void) : callback;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean; family?: number };
    process.nextTick(() => {
      if (hostname.toLowerCase() !== host.toLowerCase() || entries.length === 0) {
        const err = Object.assign(new Error(`pinned lookup refuses ${hostname}: only ${host} is allowed`), {
          code: 'ENOTFOUND',
          hostname,
        });
        cb(err);
        return;
      }
      const wanted = opts.family === 4 || opts.family === 6 ? entries.filter((e) => e.family === opts.family) : entries;
      const list = wanted.length ? wanted : entries;
      if (opts.all) cb(null, list);
      else cb(null, list[0].address, list[0].family);
    });
  };
  return lookup as unknown as LookupFunction;
}
