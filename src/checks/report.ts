import type { LoadedConfig } from '../config/types';
import { ENV_PASSPHRASE, ENV_SYMMETRIC_KEY } from '../config/sources';
import { redact, shownValue } from '../redact';
import { writeFileAtomic } from '../support/atomic-write';
import type { JsonDocument } from './render';
import { renderHtmlReport, type SupportBundle } from './report-html';
import { reportFormatOf } from './report-path';

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
 * The support bundle: the --json document, the configuration with the source of each value, and the environment
 * facts — passed through redact() so a secret that slipped into evidence never leaves the device. The one redaction
 * of the bundle, whichever format is written.
 */
export function supportBundle(
  doc: JsonDocument,
  loaded: LoadedConfig,
  startedAt: Date,
  env: NodeJS.ProcessEnv = process.env,
): SupportBundle {
  const secrets = [loaded.passphrase, loaded.symmetricKey, env[ENV_PASSPHRASE], env[ENV_SYMMETRIC_KEY]];
  const values = Object.fromEntries(Object.entries(loaded.config).map(([k, v]) => [k, shownValue(v, secrets)]));
  const bundle: SupportBundle = {
    ...doc,
    generatedAt: startedAt.toISOString(),
    configuration: {
      configFile: loaded.configFile ?? null,
      values,
      sources: loaded.sources,
      passphrase: loaded.passphrase ? '[redacted]' : null,
      symmetricKey: loaded.symmetricKey ? '[redacted]' : null,
    },
    environment: environmentFacts(env),
  };
  return redact(bundle, { secrets });
}

/**
 * Writes the support bundle (see {@link supportBundle}) to `file`: a self-contained HTML page for `.html`/`.htm`
 * (see renderHtmlReport), else JSON.
 */
export function writeSupportBundle(
  file: string,
  doc: JsonDocument,
  loaded: LoadedConfig,
  startedAt: Date,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const bundle = supportBundle(doc, loaded, startedAt, env);
  const text = reportFormatOf(file) === 'html' ? renderHtmlReport(bundle) : `${JSON.stringify(bundle, null, 2)}\n`;
  // A fresh 0600 file renamed into place: an existing bundle is never readable with its old mode, and a symlink
  // planted at the path is replaced rather than written through.
  writeFileAtomic(file, text, { mode: 0o600 });
}
