import type tls from 'node:tls';
import type { Finding } from '../findings/types';

/** TLS versions we allow as a minimum. Never lower than 1.2: DPS and IoT Hub refuse 1.0/1.1 anyway. */
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

/** PEM text or DER/PEM bytes, as Node's tls module accepts them. */
export type PemInput = string | Buffer;

/** An HTTP CONNECT proxy, by IP address (the device must not resolve the proxy's name either). */
export interface ProxyAddress {
  /** IPv4 or IPv6 literal. */
  address: string;
  /** TCP port of the proxy, 1-65535. */
  port: number;
}

/**
 * Everything needed to open one pinned, policy-checked TLS connection.
 * `host` is the DNS name: it goes into SNI and the certificate check; `addresses` are the only IPs ever dialled.
 */
export interface ConnectTarget {
  /** The DNS name of the service (SNI, certificate check). */
  host: string;
  /** Verified addresses; the connection goes to these and nowhere else. Ignored when `proxy` is set. */
  addresses: readonly string[];
  /** TCP port of the service, 1-65535: 8883 for MQTT, 443 for MQTT over WebSockets. */
  port: number;
  /** Minimum TLS version, set explicitly on every socket so NODE_OPTIONS=--tls-min-v1.0 cannot lower it. */
  minVersion: TlsMinVersion;
  /**
   * Extra trust anchors (PEM), ADDED to the roots Node trusts (its bundled Mozilla store, or the OpenSSL store under
   * --use-openssl-ca, and NODE_EXTRA_CA_CERTS); they never replace them. Default: Node's roots alone.
   */
  ca?: PemInput | PemInput[];
  /** Client certificate and key for X.509 authentication. */
  cert?: PemInput;
  /** Private key of `cert` (PEM, or DER bytes). Never logged. */
  key?: PemInput;
  /** Passphrase of an encrypted `key`. Never logged. */
  passphrase?: string;
  /** When set, the TCP connection goes to the proxy and a CONNECT tunnel carries TLS to `host:port`. */
  proxy?: ProxyAddress;
  /**
   * A context already built from exactly `ca`, `minVersion` and the credentials (see sharedContext): used as is, so
   * a caller that built it to check the credentials does not pay for a second one.
   */
  secureContext?: tls.SecureContext;
}

/** What the live TLS socket negotiated. */
export interface TlsInfo {
  /** e.g. `TLSv1.3`. */
  protocol: string;
  /** e.g. `TLS_AES_256_GCM_SHA384`. */
  cipher: string;
  /** The address the TCP connection went to (the proxy's when tunnelling). */
  remoteAddress: string;
  /** The TCP port the connection went to (the proxy's when tunnelling). */
  remotePort: number;
  /** The server certificate's subjectAltName, as Node prints it. */
  subjectAltName?: string;
  /** Common name of the root the peer's chain ends at (e.g. `DigiCert Global Root G2`), when known. */
  root?: string;
}

/** A failed connection attempt, already diagnosed. */
export interface ConnectionFailure {
  /** The diagnosis (e.g. TCP_UNREACHABLE, TLS_VERSION_TOO_LOW), with evidence and the fix. */
  finding: Finding;
  /** The underlying error (Node's, or ours when a policy check refused the socket). */
  error: Error;
  /** The address being dialled, when known. */
  address?: string;
}
