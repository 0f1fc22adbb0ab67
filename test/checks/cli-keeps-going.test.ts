// An unusable input that only some checks need (the certificate, the key, its passphrase, --expect-cidr) is not bad
// usage: those checks error with the input's one-line reason and every other check still runs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { jsonOf, runCli } from './cli-helper';
import { makeCert, pem, put, rsaKey, tempDir } from './fixtures';

describe('dps-check keeps going past an unusable input', function () {
  this.timeout(60_000);
  const dir = tempDir('dps-check-going-');
  const key = rsaKey();
  const cert = put(dir, 'dev.pem', pem(makeCert({ cn: 'dev-1', key })));
  const encKey = put(
    dir,
    'enc.key',
    key.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'Correct-Horse-7' }),
  );
  const plainKey = put(dir, 'dev.key', key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  // Port 1 of loopback: the DNS query is refused at once, so dps-dns runs and fails fast.
  const net = [
    '--host',
    'my-dps.azure-devices-provisioning.net',
    '--dns-server',
    '127.0.0.1:1',
    '--timeout-ms',
    '1000',
  ];
  const host = [...net, '--expect-cidr', '10.1.0.0/16'];

  const cases: { name: string; args: string[]; env?: Record<string, string>; failed: string; line: RegExp }[] = [
    {
      name: 'a missing certificate file',
      args: [...host, '--cert', path.join(dir, 'nope.pem')],
      failed: 'device-cert',
      line: /--cert .*nope\.pem: no such file\. Point --cert at/,
    },
    {
      name: 'an unreadable certificate path (a folder)',
      args: [...host, '--cert', dir],
      failed: 'device-cert',
      line: /--cert .*: cannot read the file \(EISDIR\)/,
    },
    {
      name: 'garbage PEM',
      args: [
        ...host,
        '--cert',
        put(dir, 'garbage.pem', '-----BEGIN CERTIFICATE-----\nzzzz\n-----END CERTIFICATE-----\n'),
      ],
      failed: 'device-cert',
      line: /garbage\.pem: not a PEM or DER X\.509 certificate/,
    },
    {
      name: 'a missing key file',
      args: [...host, '--cert', cert, '--key', path.join(dir, 'nope.key')],
      failed: 'device-cert',
      line: /--key .*nope\.key: no such file/,
    },
    {
      name: 'an encrypted key without a passphrase',
      args: [...host, '--cert', cert, '--key', encKey],
      failed: 'device-cert',
      line: /enc\.key: the private key is encrypted.*DPS_KEY_PASSPHRASE/,
    },
    {
      name: 'a wrong passphrase',
      args: [...host, '--cert', cert, '--key', encKey],
      env: { DPS_KEY_PASSPHRASE: 'Wrong-Horse-8' },
      failed: 'device-cert',
      line: /enc\.key: cannot decrypt the private key: wrong passphrase/,
    },
    {
      name: 'no --expect-cidr under enforce',
      args: [...net, '--cert', cert, '--key', plainKey, '--registration-id', 'dev-1'],
      failed: 'dps-dns',
      line: /--expect-cidr: missing.*--policy warn/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.failed} errors with the reason, the other checks run, exit 1`, async () => {
      const run = await runCli([...c.args, '--dont-run', 'clock-skew', '--json'], c.env);
      assert.equal(run.code, 1, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
      assert.equal(run.stderr, '');
      const doc = jsonOf(run);
      const failed = doc.checks.find((x) => x.id === c.failed);
      assert.equal(failed?.result, 'error', JSON.stringify(failed));
      assert.match(failed?.detail ?? '', c.line);
      assert.doesNotMatch(failed?.detail ?? '', /\n/);
      // What does not need the input still ran.
      assert.notEqual(doc.checks.find((x) => x.id === 'config-well-formed')?.result, 'skipped');
      const other = c.failed === 'dps-dns' ? 'device-key-match' : 'dps-dns';
      const ran = doc.checks.find((x) => x.id === other);
      assert.ok(ran && ran.result !== 'skipped', JSON.stringify(ran));
      assert.doesNotMatch(run.stdout, /Wrong-Horse-8|Correct-Horse-7/);
    });
  }

  it('the text output shows the reason on the check line', async () => {
    const run = await runCli([...host, '--cert', cert, '--key', encKey, '--dont-run', 'clock-skew'], {
      DPS_KEY_PASSPHRASE: 'Wrong-Horse-8',
    });
    assert.equal(run.code, 1);
    // Lines wrap at 80 columns; a check's continuation lines start four columns in.
    const unwrapped = run.stdout.replace(/\n {4}(?=\S)/g, ' ');
    assert.match(unwrapped, /× device-cert: .*wrong passphrase/);
    assert.match(unwrapped, /- device-key-match: .*device-cert/);
  });
});
