import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { issueCertificate, rsaKey } from '../../src/lab/certs';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

const run = promisify(execFile);

/**
 * Node reads NODE_EXTRA_CA_CERTS once, at startup. A value set later (dotenv, a wrapper script's process.env) must not
 * make our trust store trust what Node's own does not: passing an unrelated `ca` used to pull the file in anyway.
 */
describe('connection: NODE_EXTRA_CA_CERTS counts only as Node read it at startup', () => {
  const pki = testPki();
  const signedByExtra = issueCertificate(
    { commonName: HOST, dnsNames: [HOST], usage: 'server', issuer: pki.other },
    rsaKey(2),
  );
  let server: TestTlsServer;
  let extraFile = '';
  before(async () => {
    server = await startTlsServer('127.10.7.20', signedByExtra);
    extraFile = path.join(mkdtempSync(path.join(tmpdir(), 'dpl-extra-')), 'extra.pem');
    writeFileSync(extraFile, pki.other.certPem);
  });
  after(() => server.close());

  const child = async (env: NodeJS.ProcessEnv): Promise<{ plain: string; withoutCa: string; withCa: string }> => {
    const { NODE_EXTRA_CA_CERTS: _inherited, ...base } = process.env;
    const target = {
      host: HOST,
      addresses: [server.address],
      port: server.port,
      minVersion: 'TLSv1.2',
      ca: pki.root.certPem,
    };
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures', 'runtime-extra-ca-child.ts')],
      {
        env: { ...base, ...env, DPL_EXTRA_CA_FILE: extraFile, DPL_PROBE_TARGET: JSON.stringify(target) },
        timeout: 15000,
      },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { plain: string; withoutCa: string; withCa: string };
  };

  it('set at runtime: Node does not trust the file, and neither does probeTls, with or without an unrelated ca', async () => {
    const r = await child({});
    assert.match(r.plain, /^error (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT)/);
    assert.equal(r.withoutCa, 'TLS_UNTRUSTED_CHAIN');
    assert.equal(r.withCa, 'TLS_UNTRUSTED_CHAIN');
  });

  it('set at startup: Node trusts the file, and probeTls keeps trusting it when ca names another root', async () => {
    const r = await child({ NODE_EXTRA_CA_CERTS: extraFile });
    assert.equal(r.plain, 'TRUSTED');
    assert.equal(r.withoutCa, 'TRUSTED');
    assert.equal(r.withCa, 'TRUSTED');
  });
});
