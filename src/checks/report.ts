import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/types';
import { redact } from '../log';
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
  replaceFile(file, `${JSON.stringify(redact(bundle), null, 2)}\n`);
}

/**
 * Writes `text` to a new 0600 file next to `file` and renames it over `file`. Writing `file` in place and then
 * chmod-ing it would leave a window in which an existing bundle is readable with its old mode, and both calls follow a
 * symlink planted at that path; a fresh file opened with 'wx' (never an existing one, never through a symlink) is
 * 0600 from its first byte, and rename replaces the directory entry itself. Readers see the old bundle or the whole
 * new one. Throws the fs error (ENOENT, EACCES, EISDIR...) after removing the temporary file.
 */
function replaceFile(file: string, text: string): void {
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const fd = openSync(temp, 'wx', 0o600);
  try {
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone: nothing to clean up.
    }
    throw err;
  }
}
