// Output that fits a console: --help within 80 columns, text wrapped to COLUMNS / the terminal / 80 with
// continuation lines indented under their line, and progress on stderr only when stderr is a terminal.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { dpsCheck } from '../../src/checks/main';
import { USAGE } from '../../src/checks/args';
import { makeCert, pem, put, rsaKey, tempDir } from './fixtures';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  argv: string[],
  o: { env?: NodeJS.ProcessEnv; stdoutTty?: boolean; columns?: number; stderrTty?: boolean } = {},
): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await dpsCheck(argv, {
    stdout: {
      write: (s: string) => (stdout += s),
      isTTY: o.stdoutTty ?? false,
      ...(o.columns !== undefined ? { columns: o.columns } : {}),
    },
    stderr: { write: (s: string) => (stderr += s), isTTY: o.stderrTty ?? false },
    env: o.env ?? {},
  });
  return { code, stdout, stderr };
}

/** Lines wider than `width`, leaving out those whose last word alone would not fit (a fingerprint, a URL). */
function tooWide(text: string, width: number): string[] {
  return text.split('\n').filter((l) => l.length > width && (l.trim().split(' ').at(-1) ?? '').length < width - 12);
}

describe('dps-check output on a console', function () {
  this.timeout(60_000);
  const dir = tempDir('dps-console-');
  const key = rsaKey();
  const other = rsaKey();
  const cert = put(dir, 'd.pem', pem(makeCert({ cn: 'a-rather-long-device-registration-id-0001', key })));
  // A key of another device: DEVICE_KEY_MISMATCH, a finding with a long message and fix.
  const keyFile = put(dir, 'other.key', other.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const offline = [
    '--host',
    'a-long-dps-name-for-a-factory.azure-devices-provisioning.net',
    '--expect-cidr',
    '10.1.0.0/16',
    '--dns-server',
    '127.0.0.1:9',
    '--cert',
    cert,
    '--key',
    keyFile,
    '--registration-id',
    'someone-else-entirely',
    '--dont-run',
    'dps-dns,clock-skew',
  ];

  it('--help fits 80 columns', () => {
    assert.deepEqual(
      USAGE.split('\n').filter((l) => l.length > 80),
      [],
    );
  });

  it('wraps to 80 columns when stdout is not a terminal, continuation lines indented under their start', async () => {
    const r = await run([...offline, '--verbose']);
    assert.equal(r.code, 1);
    assert.deepEqual(tooWide(r.stdout, 80), []);
    // the finding's fix continues under "fix: ", not at column 0
    const lines = r.stdout.split('\n');
    const fix = lines.findIndex((l) => /^ {8}fix: /.test(l));
    assert.ok(fix > 0, r.stdout);
    assert.match(lines[fix + 1] ?? '', /^ {13}\S/);
  });

  it('honours COLUMNS, and the terminal width on a TTY', async () => {
    const narrow = await run([...offline, '--verbose'], { env: { COLUMNS: '60' } });
    assert.deepEqual(tooWide(narrow.stdout, 60), []);
    assert.ok(narrow.stdout.split('\n').length > (await run([...offline, '--verbose'])).stdout.split('\n').length);
    const wide = await run([...offline, '--verbose', '--no-color'], { stdoutTty: true, columns: 140 });
    assert.deepEqual(tooWide(wide.stdout, 140), []);
    assert.ok(
      wide.stdout.split('\n').some((l) => l.length > 80),
      'a 140-column terminal gets lines past 80',
    );
  });

  describe('progress while a slow check runs', () => {
    let silent: dgram.Socket;
    let port: number;
    before(async () => {
      // A DNS server that never answers: dps-dns waits for its whole timeout.
      silent = dgram.createSocket('udp4');
      await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
      port = silent.address().port;
    });
    after(() => silent.close());
    const slow = (): string[] => [
      '--host',
      'x.azure-devices-provisioning.net',
      '--expect-cidr',
      '10.1.0.0/16',
      '--dns-server',
      `127.0.0.1:${port}`,
      '--timeout-ms',
      '4000',
      '--dont-run',
      'clock-skew',
    ];

    it('on a terminal stderr: the step and its elapsed seconds, erased when done; stdout stays clean', async () => {
      const r = await run(slow(), { stderrTty: true });
      assert.match(
        r.stderr,
        /\r\x1b\[2K {2}… dps-dns: DPS name resolves to a private address inside the VNET \(\d+ s\)/,
      );
      assert.ok(r.stderr.endsWith('\r\x1b[2K'), JSON.stringify(r.stderr.slice(-40)));
      assert.doesNotMatch(r.stdout, /…|\x1b\[/);
    });

    it('never when stderr is not a terminal', async () => {
      const r = await run(slow(), { stderrTty: false, stdoutTty: true });
      assert.equal(r.stderr, '');
      assert.doesNotMatch(r.stdout, /…/);
    });
  });
});
