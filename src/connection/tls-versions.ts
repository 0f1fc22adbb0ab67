import tls from 'node:tls';
import type { TlsMinVersion } from './types';

/** TLS protocol names (as tls.TLSSocket.getProtocol() and the version options spell them), lowest first. */
export const TLS_VERSION_RANK: Readonly<Record<string, number>> = {
  SSLv3: 0,
  TLSv1: 1,
  'TLSv1.1': 2,
  'TLSv1.2': 3,
  'TLSv1.3': 4,
};

/**
 * The TLS ceiling for a socket under the policy floor `minVersion`: the higher of the process default
 * (tls.DEFAULT_MAX_VERSION, which --tls-max-v1.2 and any code in the process set) and `minVersion`.
 *
 * Why not always TLSv1.3: capping at 1.2 is an operator's deliberate workaround for middleboxes that break TLS 1.3,
 * and a 1.2 policy floor allows it. Why not simply the default: a ceiling below the floor (--tls-max-v1.2 under a
 * TLSv1.3 policy, or a library lowering the default to 1.1) would leave no version at all; the floor wins there.
 * Read at every call, as Node's own sockets read the default.
 */
export function maxVersionFor(minVersion: TlsMinVersion): tls.SecureVersion {
  const processMax = tls.DEFAULT_MAX_VERSION;
  return (TLS_VERSION_RANK[processMax] ?? -1) >= TLS_VERSION_RANK[minVersion] ? processMax : minVersion;
}
