import type { DeviceAuth } from '../provision/types';
import type { CheckContext } from './types';

/** The configured credential as the library takes it (dps-register's registration, the cached-identity try). */
export function authOf(ctx: CheckContext): DeviceAuth {
  const id = ctx.identity;
  if (id?.key) {
    // The key is already decrypted (the passphrase was checked at the door); PKCS#8 PEM is what the TLS stack takes.
    return { cert: id.certPem, key: id.key.export({ type: 'pkcs8', format: 'pem' }) as string };
  }
  return { symmetricKey: ctx.loaded.symmetricKey as string };
}

/**
 * The registration's whole deadline: a registration is several network steps (DNS, TCP, TLS, CONNECT, register,
 * polls), so it gets four of --timeout-ms, never under 10 s. The --help text and the check's evidence say so.
 */
export function registrationTimeoutMs(stepTimeoutMs: number): number {
  return Math.max(stepTimeoutMs * 4, 10_000);
}
