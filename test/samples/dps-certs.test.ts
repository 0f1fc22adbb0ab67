// dps-certs, run from the installed tarball: a root, a group CA and devices (RSA and ECC P-256) that chain, with safe
// file modes, printing thumbprints and never a key; bad input exits 2 with one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packedApp, type PackedApp } from '../package/packed-app';

describe('dps-certs (test certificates for DPS enrollments)', function () {
  this.timeout(60_000);
  let app: PackedApp;
  let dir: string;
  const certs = (...args: string[]) => {
    const r = spawnSync(app.bin('dps-certs'), [...args, '--dir', dir], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  before(async () => {
    app = await packedApp();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-certs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a root, a group CA and devices that chain to it; keys 600; prints thumbprints, never a key', () => {
    const root = certs('root');
    assert.equal(root.code, 0, root.err);
    assert.match(root.out, /SHA-256 thumbprint\n {4}[0-9A-F]{64}\n/);
    assert.match(root.out, /az iot dps certificate generate-verification-code/);
    assert.equal(certs('intermediate').code, 0);
    const rsa = certs('device', 'pi-0001');
    const ec = certs('device', 'pi-0002', '--key-type', 'ec');
    assert.equal(rsa.code, 0, rsa.err);
    assert.equal(ec.code, 0, ec.err);
    assert.match(ec.out, /ECC P-256, group CA/);
    const rootX = new crypto.X509Certificate(readFileSync(path.join(dir, 'root-ca.pem')));
    const group = new crypto.X509Certificate(readFileSync(path.join(dir, 'group-ca.pem')));
    assert.ok(group.verify(rootX.publicKey), 'group CA signed by the root');
    for (const id of ['pi-0001', 'pi-0002']) {
      const chain = readFileSync(path.join(dir, `${id}.pem`), 'utf8');
      const leaf = new crypto.X509Certificate(chain);
      assert.match(leaf.subject, new RegExp(`CN=${id}`));
      assert.ok(leaf.verify(group.publicKey), `${id} signed by the group CA`);
      assert.equal((chain.match(/BEGIN CERTIFICATE/g) ?? []).length, 2, 'leaf + intermediate');
      assert.ok(leaf.checkPrivateKey(crypto.createPrivateKey(readFileSync(path.join(dir, `${id}.key`)))));
    }
    for (const key of ['root-ca.key', 'group-ca.key', 'pi-0001.key', 'pi-0002.key'])
      assert.equal(statSync(path.join(dir, key)).mode & 0o777, 0o600, `${key} is 600`);
    const verify = certs('verify', 'A1B2C3D4', '--issuer', 'root');
    assert.equal(verify.code, 0, verify.err);
    const proof = new crypto.X509Certificate(readFileSync(path.join(dir, 'verify.pem')));
    assert.match(proof.subject, /CN=A1B2C3D4/);
    assert.ok(proof.verify(rootX.publicKey));
    for (const r of [root, rsa, ec, verify]) assert.doesNotMatch(r.out + r.err, /PRIVATE KEY/);
    // What it prints reads at 80 columns, but for lines that carry the (temporary, long) directory path.
    const wide = [root, rsa, ec, verify]
      .flatMap((r) => r.out.split('\n'))
      .filter((l) => l.length > 80 && !l.includes(path.basename(dir)));
    assert.deepEqual(wide, []);
  });

  it('refuses to overwrite without --force (exit 2) and leaves the files as they were', () => {
    const before = readFileSync(path.join(dir, 'pi-0001.key'), 'utf8');
    const r = certs('device', 'pi-0001');
    assert.equal(r.code, 2);
    assert.match(r.err, /pi-0001\.pem exists: pass --force/);
    assert.equal(readFileSync(path.join(dir, 'pi-0001.key'), 'utf8'), before);
  });

  const bad: [string, string[], RegExp][] = [
    ['no command', [], /missing <command>/],
    ['an unknown command', ['mint'], /unknown command "mint"/],
    ['device without an id', ['device'], /device: missing <id>/],
    ['a non-numeric --days', ['root', '--days', 'ten'], /--days "ten": use 1 to 3650/],
    ['a bad --key-type', ['device', 'x', '--key-type', 'dsa'], /--key-type "dsa": use rsa or ec/],
  ];
  for (const [what, args, expected] of bad) {
    it(`exits 2 with one line for ${what}`, () => {
      const r = certs(...args);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, expected);
      assert.equal(r.err.trim().split('\n').length, 1);
    });
  }

  it('exits 2 naming --dir when the directory has no CA or is not a directory', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'dpl-certs-empty-'));
    const file = path.join(empty, 'file');
    writeFileSync(file, '');
    try {
      const noCa = spawnSync(app.bin('dps-certs'), ['device', 'x', '--dir', empty], { encoding: 'utf8' });
      assert.equal(noCa.status, 2);
      assert.match(noCa.stderr, /--dir .*: cannot read root-ca\.pem\/root-ca\.key \(ENOENT\): run dps-certs root/);
      const notDir = spawnSync(app.bin('dps-certs'), ['root', '--dir', file], { encoding: 'utf8' });
      assert.equal(notDir.status, 2);
      assert.match(notDir.stderr, /--dir .*file: not a writable directory/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
