import type { LoadedConfig } from '../config/types';
import { redact } from '../redact';
import { writeFileAtomic } from '../support/atomic-write';
import type { JsonDocument } from './render';

/** Facts about the device runtime that decide TLS behaviour, for the support bundle. */
export function environmentFacts(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const nodeOptions = env['NODE_OPTIONS'] ?? '';
  return {
    node: process.version,
    openssl: process.versions.openssl,
    platform: `${process.platform} ${process.arch}`,
    nodeOptionsTlsFlags: nodeOptions
      .split(/\s+/)
      .filter((t) => /tls|openssl|ca-cert|use-openssl-ca|use-bundled-ca/i.test(t)),
    nodeExtraCaCerts: env['NODE_EXTRA_CA_CERTS'] ?? null,
    sslCertFile: env['SSL_CERT_FILE'] ?? null,
    proxy: env['HTTPS_PROXY'] ?? env['https_proxy'] ?? null,
  };
}

/**
 * Writes the support bundle: the --json document, the configuration with the source of each value, and the
 * environment facts — passed through redact() so a secret that slipped into evidence never leaves the device.
 */
export function writeSupportBundle(
  file: string,
  doc: JsonDocument,
  loaded: LoadedConfig,
  startedAt: Date,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const bundle = {
    ...doc,
    generatedAt: startedAt.toISOString(),
    configuration: {
      configFile: loaded.configFile ?? null,
      values: loaded.config,
      sources: loaded.sources,
      passphrase: loaded.passphrase ? '[redacted]' : null,
      symmetricKey: loaded.symmetricKey ? '[redacted]' : null,
    },
    environment: environmentFacts(env),
  };
  // A fresh 0600 file renamed into place: an existing bundle is never readable with its old mode, and a symlink
  // planted at the path is replaced rather than written through.
  writeFileAtomic(file, `${JSON.stringify(redact(bundle), null, 2)}\n`, { mode: 0o600 });
}
