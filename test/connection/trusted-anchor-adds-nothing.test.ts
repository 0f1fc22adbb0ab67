import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { probeTls } from '../../src/connection/probe';
import { contextWithAnchors } from '../../src/connection/trust';
import { countAnchorsAdded } from './anchor-spy';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

const run = promisify(execFile);

/**
 * Adding an anchor to a context copies Node's whole root store into it (~3 ms, 12 ms on a loaded core), once per
 * client identity, so a gateway paid it per device. An anchor the default store already holds (a bundled root, or one
 * NODE_EXTRA_CA_CERTS loaded at startup) changes nothing the context trusts: it is not added, and nothing is copied.
 */
describe('connection: an anchor Node already trusts adds nothing to the trust store', () => {
  const pki = testPki();
  const bundled = tls.rootCertificates[0] as string;
  let server: TestTlsServer;
  before(async () => {
    server = await startTlsServer('127.10.7.21', pki.good);
  });
  after(() => server.close());

  const build = (ca: string | string[]): number =>
    countAnchorsAdded(() => contextWithAnchors({ ca, minVersion: 'TLSv1.2' })).added;

  it('a bundled root as ca: no anchor added; an unknown root, alone or beside it: added', () => {
    assert.equal(build(bundled), 0);
    assert.equal(build(`\n${bundled.replace(/\n/g, '\r\n')}\n`), 0, 'line breaks do not matter');
    assert.ok(build(pki.root.certPem) >= 1);
    assert.ok(build([bundled, pki.root.certPem]) >= 1);
    assert.ok(build(`# a comment\n${bundled}`) >= 1, 'anything but certificate blocks is added as before');
  });

  it('trust is unchanged: a bundled root as ca does not make the lab chain trusted; beside the lab root it is', async () => {
    const target = { host: HOST, addresses: [server.address], port: server.port, minVersion: 'TLSv1.2' as const };
    const alone = await probeTls({ ...target, ca: bundled });
    assert.equal(alone.ok ? 'ok' : alone.failure.finding.code, 'TLS_UNTRUSTED_CHAIN');
    const both = await probeTls({ ...target, ca: [bundled, pki.root.certPem] });
    assert.ok(both.ok, both.ok ? '' : both.failure.finding.message);
  });

  it('an anchor NODE_EXTRA_CA_CERTS loaded at startup: not added, and the chain still verifies', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dpl-anchor-'));
    const extra = path.join(dir, 'extra.pem');
    writeFileSync(extra, pki.root.certPem);
    const { NODE_EXTRA_CA_CERTS: _inherited, ...env } = process.env;
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures', 'anchor-copies-child.ts')],
      {
        env: {
          ...env,
          NODE_EXTRA_CA_CERTS: extra,
          DPL_ANCHOR: pki.root.certPem,
          DPL_TARGET: JSON.stringify({ host: HOST, address: server.address, port: server.port }),
        },
        timeout: 20_000,
      },
    );
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'), { added: 0, verified: 'TRUSTED' });
  });
});
