// The TLS checks against real peers on loopback: a chain ending at a root named like the retired Baltimore
// CyberTrust Root, and openssl s_server speaking only TLS 1.1.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { dpsTlsMqtt, LEGACY_ROOT } from '../../src/checks/tls-handshake';
import type { CheckContext } from '../../src/checks/types';
import { loadConfig } from '../../src/config/load';
import { startLegacyTlsServer } from '../connection/support';
import { makeCert, pem, put, rsaKey, tempDir } from './fixtures';

const HOST = 'tls-dps.azure-devices-provisioning.net';

describe('dps-tls checks against real TLS peers', () => {
  const dir = tempDir('dps-tls-');
  const rootKey = rsaKey();
  const serverKey = rsaKey();
  const root = makeCert({ cn: LEGACY_ROOT, key: rootKey, ca: true });
  const leaf = makeCert({ cn: HOST, key: serverKey, sans: [HOST], issuer: { cert: root, key: rootKey } });
  const caFile = put(dir, 'root.pem', pem(root));
  const keyPem = serverKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

  function ctx(port: number): CheckContext {
    const loaded = loadConfig({ flags: { provisioningHost: HOST, caFile, expectedCidrs: ['127.0.0.1/32'] } });
    return {
      loaded,
      config: loaded.config,
      settings: { register: false, compareSystem: false, timeoutMs: 3000, now: () => new Date() },
      state: { tcp: { 'dps-tcp-mqtt': { port, reachable: ['127.0.0.1'] } } },
    };
  }

  it('warns when the chain ends at the retired Baltimore CyberTrust Root', async () => {
    const server = tls.createServer({ key: keyPem, cert: pem(leaf) }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const out = await dpsTlsMqtt.run(ctx((server.address() as net.AddressInfo).port));
      assert.equal(out.result ?? 'ok', 'warning');
      assert.equal(out.evidence?.['legacyRoot'], true);
      assert.equal(out.evidence?.['root'], LEGACY_ROOT);
      assert.equal(out.evidence?.['authorized'], true);
      assert.match(out.detail ?? '', /retired Baltimore CyberTrust Root/);
      assert.deepEqual(
        out.findings?.map((f) => [f.code, f.severity]),
        [['TLS_LEGACY_ROOT', 'warning']],
      );
      assert.match(out.findings?.[0]?.remediation ?? '', /DigiCert Global Root G2.*Microsoft RSA Root CA 2017/);
    } finally {
      server.close();
    }
  });

  it('reports TLS_VERSION_TOO_LOW for a peer that only speaks TLS 1.1, refusing the handshake', async function () {
    const legacy = await startLegacyTlsServer('127.0.0.1', { chainPem: pem(leaf), keyPem });
    try {
      const out = await dpsTlsMqtt.run(ctx(legacy.port));
      assert.deepEqual(
        out.findings?.map((f) => f.code),
        ['TLS_VERSION_TOO_LOW'],
      );
      assert.equal(out.findings?.[0]?.severity, 'error');
    } finally {
      legacy.close();
    }
  });
});
