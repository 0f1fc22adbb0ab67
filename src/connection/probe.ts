import { AbortedError } from '../errors';
import { createFinding } from '../findings/finding';
import { ConnectionSession, type MqttTransportKind } from './session';
import type { ConnectTarget, ConnectionFailure, TlsInfo } from './types';

/** The outcome of one TLS handshake attempt. */
export type ProbeResult = { ok: true; tls: TlsInfo } | { ok: false; failure: ConnectionFailure };

/**
 * Opens one pinned, policy-checked connection to `target`, completes the TLS handshake and closes it again.
 * Used by diagnostics and tests; never sends an MQTT packet or a credential beyond the TLS client certificate.
 */
export function probeTls(
  target: ConnectTarget,
  options: { timeoutMs?: number; signal?: AbortSignal; kind?: MqttTransportKind } = {},
): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (options.signal?.aborted) return Promise.reject(new AbortedError('probing TLS'));
  return new Promise<ProbeResult>((resolve, reject) => {
    const session = new ConnectionSession(target, {
      onSecure: (info) => finish({ ok: true, tls: info }),
    });
    const onAbort = (): void => {
      cleanup();
      reject(new AbortedError('probing TLS'));
    };
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      finish({
        ok: false,
        failure: session.failure ?? {
          error,
          address: target.addresses[0],
          finding: createFinding('TCP_UNREACHABLE', { host: target.host, address: target.addresses[0], port: target.port, detail: error.message }),
        },
      });
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      session.close();
    };
    const finish = (result: ProbeResult): void => {
      cleanup();
      resolve(result);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stream = session.openStream(options.kind ?? 'mqtt', {});
    stream.on('error', (err) => {
      // The session has diagnosed the socket error already; fall back to a generic one.
      const failure = session.failure ?? {
        error: err,
        address: target.addresses[0],
        finding: createFinding('TLS_HANDSHAKE_FAILED', { host: target.host, address: target.addresses[0], port: target.port, detail: err.message }),
      };
      finish({ ok: false, failure });
    });
    stream.on('close', () => {
      if (session.failure) finish({ ok: false, failure: session.failure });
    });
  });
}
