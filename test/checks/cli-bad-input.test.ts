// Bad input: exit 2 and ONE line on stderr naming the input and the fix — never a stack trace. (An unreadable
// certificate or key and a missing --expect-cidr are not bad usage: see cli-keeps-going.test.ts.)
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runCli } from './cli-helper';
import { makeCert, pem, put, rsaKey, tempDir } from './fixtures';

describe('dps-check bad input', () => {
  const dir = tempDir('dps-check-bad-');
  const key = rsaKey();
  const cert = put(dir, 'dev.pem', pem(makeCert({ cn: 'dev-1', key })));
  const plainKey = put(dir, 'dev.key', key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const host = [
    '--host',
    'my-dps.azure-devices-provisioning.net',
    '--expect-cidr',
    '10.1.0.0/16',
    '--dns-server',
    '127.0.0.1:1',
  ];

  const cases: { name: string; args: string[]; env?: Record<string, string>; line: RegExp }[] = [
    { name: 'an unknown flag', args: ['--hots', 'x'], line: /Unknown option '--hots'.*--help/ },
    { name: 'a stray argument', args: [...host, 'extra'], line: /Unexpected argument 'extra'|positional/i },
    {
      name: 'no host',
      args: ['--expect-cidr', '10.1.0.0/16'],
      line: /--host: missing.*azure-devices-provisioning\.net/,
    },
    {
      name: 'a URL as host',
      args: ['--host', 'mqtts://x.azure-devices-provisioning.net', '--expect-cidr', '10.1.0.0/16'],
      line: /--host.*is a URL.*DNS name only/,
    },
    {
      name: 'a malformed CIDR',
      args: ['--host', 'x.azure-devices-provisioning.net', '--expect-cidr', '10.1.0.0/40'],
      line: /--expect-cidr.*10\.1\.0\.0\/40/,
    },
    {
      name: 'a DNS server that is a name',
      args: ['--host', 'x.azure-devices-provisioning.net', '--expect-cidr', '10.1.0.0/16', '--dns-server', 'dns.corp'],
      line: /--dns-server.*"dns\.corp" is not an IP address/,
    },
    {
      name: 'a config file that is not JSON',
      args: ['--config', put(dir, 'device.json', 'provisioningHost = "x"')],
      line: /--config .*device\.json: not valid JSON/,
    },
    {
      name: 'a config file with an unknown field',
      args: ['--config', put(dir, 'typo.json', '{"provisioningHst":"x"}')],
      line: /typo\.json#provisioningHst: unknown field/,
    },
    {
      name: 'a bad transport',
      args: [...host, '--transport', 'amqp'],
      line: /--transport: "amqp" is not one of mqtt, mqtt-ws/,
    },
    {
      name: 'an unknown --dont-run id',
      args: [...host, '--dont-run', 'dps-dnss'],
      line: /--dont-run: unknown check id "dps-dnss".*dps-dns/,
    },
    {
      name: '--register without an id scope',
      args: [...host, '--register', '--cert', cert, '--key', plainKey, '--registration-id', 'dev-1'],
      line: /--id-scope: missing, but --register needs it/,
    },
    {
      name: 'a bad --ntp-server',
      args: [...host, '--ntp-server', 'pool.ntp.org'],
      line: /--ntp-server.*not an IP address/,
    },
    { name: 'a bad --timeout-ms', args: [...host, '--timeout-ms', 'soon'], line: /--timeout-ms/ },
    {
      name: 'a --ca file that holds no certificate',
      args: [...host, '--ca', put(dir, 'not-a-ca.pem', 'garbage\n')],
      line: /--ca .*not-a-ca\.pem: holds no PEM certificate/,
    },
    {
      name: 'a proxy that is not http://<ip>:<port>',
      args: [...host, '--transport', 'mqtt-ws', '--proxy', 'proxy.corp:3128'],
      line: /--proxy.*http:\/\/<ip>:<port>/,
    },
    {
      name: 'a proxy with the mqtt transport',
      args: [...host, '--proxy', 'http://127.0.0.1:3128'],
      line: /--proxy: only used with --transport mqtt-ws/,
    },
    { name: 'a bad --hub-ws-port', args: [...host, '--hub-ws-port', '70000'], line: /--hub-ws-port.*1 to 65535/ },
    {
      name: 'a key pasted after --key',
      args: [...host, '--key', '-----BEGIN PRIVATE KEY-----\nMIIEvCorrect-Horse-7\n-----END PRIVATE KEY-----'],
      line: /--key is followed by a string of \d+ characters \(not shown\) that looks like a key.*takes the path of a file/,
    },
    {
      name: 'a flag with no value before the next flag',
      args: [...host, '--cert', '--key', plainKey],
      line: /--cert has no value \(the next argument, '--key', starts with '-'\): pass --cert VALUE, or --cert=VALUE/,
    },
  ];
  for (const c of cases) {
    it(`exits 2 with one line for ${c.name}`, async () => {
      const run = await runCli(c.args, c.env);
      assert.equal(run.code, 2, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
      const lines = run.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0] ?? '', /^dps-check: /);
      assert.match(lines[0] ?? '', c.line);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
      assert.doesNotMatch(run.stdout + run.stderr, /Wrong-Horse-8|Correct-Horse-7/);
      assert.equal(run.stdout, '');
    });
  }

  it('--help and --list exit 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit status: 0 no errors/);
    const list = await runCli(['--list']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^dps-dns +dns +/m);
    assert.deepEqual(
      list.stdout.split('\n').filter((l) => l.length > 80),
      [],
      'the list reads at 80 columns',
    );
  });

  it('a reader that closes the pipe early (dps-check | head) ends the run quietly, without an EPIPE stack trace', async () => {
    const child = spawn(
      process.execPath,
      ['--require', 'tsx/cjs', path.join(__dirname, '../../src/checks/cli.ts'), '--help'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.destroy(); // closed before dps-check writes its first byte
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.doesNotMatch(stderr, /EPIPE|at .*\(.*:\d+:\d+\)/);
    assert.equal(code, 0);
  });

  it('the built bin (dist/checks/cli.js) starts with a shebang and runs', function () {
    const bin = path.join(__dirname, '../../dist/checks/cli.js');
    if (!existsSync(bin)) this.skip(); // npm test builds first; a subset run may not have
    const r = spawnSync(process.execPath, [bin, '--list'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /config-well-formed/);
    assert.match(require('node:fs').readFileSync(bin, 'utf8') as string, /^#!\/usr\/bin\/env node/);
  });
});
