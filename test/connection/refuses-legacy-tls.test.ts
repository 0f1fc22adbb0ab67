import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { probeTls } from '../../src/connection/probe';
import type { ConnectTarget } from '../../src/connection/types';
import { HOST, startLegacyTlsServer, testPki } from './support';

const run = promisify(execFile);

describe('connection: a TLS 1.1-only peer (openssl s_server -tls1_1)', () => {
  const pki = testPki();
  let legacy: Awaited<ReturnType<typeof startLegacyTlsServer>>;
  before(async () => {
    legacy = await startLegacyTlsServer('127.10.3.10', pki.good);
  });
  after(() => legacy.close());

  const target = (): ConnectTarget => ({
    host: HOST,
    addresses: ['127.10.3.10'],
    port: legacy.port,
    minVersion: 'TLSv1.2',
    ca: pki.root.certPem,
  });

  it('is refused with TLS_VERSION_TOO_LOW', async () => {
    const result = await probeTls(target(), { timeoutMs: 5000 });
    assert.ok(!result.ok, 'the TLS 1.1 peer must be refused');
    assert.equal(result.failure.finding.code, 'TLS_VERSION_TOO_LOW');
    assert.match(result.failure.finding.message, /TLSv1\.2/);
  });

  it('is refused even when the process runs with NODE_OPTIONS=--tls-min-v1.0', async () => {
    const child = path.join(__dirname, 'fixtures', 'probe-child.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child], {
      env: { ...process.env, NODE_OPTIONS: '--tls-min-v1.0', DPL_PROBE_TARGET: JSON.stringify(target()) },
      timeout: 15000,
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      defaultMin: string;
      plain: string;
      ours: string;
    };
    // Proof that the child's default really was lowered and the peer really speaks TLS 1.1:
    assert.equal(out.defaultMin, 'TLSv1');
    assert.equal(out.plain, 'TLSv1.1');
    assert.equal(out.ours, 'TLS_VERSION_TOO_LOW');
  });
});
