// Text output on a terminal: colour only on a TTY, never with NO_COLOR / --no-color or --json. (Progress, on
// stderr: console-output.test.ts.)
import assert from 'node:assert/strict';
import { dpsCheck } from '../../src/checks/main';
import { makeCert, pem, put, rsaKey, tempDir } from './fixtures';

describe('dps-check terminal output', () => {
  const dir = tempDir('dps-tty-');
  const key = rsaKey();
  const cert = put(dir, 'd.pem', pem(makeCert({ cn: 'dev-1', key })));
  const keyFile = put(dir, 'd.key', key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  // No network: the DNS check and everything after it are excluded, the configuration and device checks run.
  const args = [
    '--host',
    'x.azure-devices-provisioning.net',
    '--expect-cidr',
    '10.1.0.0/16',
    '--dns-server',
    '127.0.0.1:9',
    '--cert',
    cert,
    '--key',
    keyFile,
    '--registration-id',
    'dev-1',
    '--dont-run',
    'dps-dns,clock-skew',
  ];

  async function run(
    extra: string[],
    isTTY: boolean,
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ code: number; out: string }> {
    let out = '';
    const code = await dpsCheck([...args, ...extra], {
      stdout: { write: (s: string) => (out += s), isTTY },
      stderr: { write: (s: string) => (out += s) },
      env,
    });
    return { code, out };
  }

  it('colours the symbols on a TTY', async () => {
    const { code, out } = await run([], true);
    assert.equal(code, 0);
    assert.match(out, /\x1b\[32m√\x1b\[0m device-key-match/);
  });

  it('has no escape codes when stdout is not a TTY, with NO_COLOR, or with --no-color', async () => {
    for (const r of [await run([], false), await run(['--no-color'], true), await run([], true, { NO_COLOR: '1' })]) {
      assert.doesNotMatch(r.out, /\x1b\[/);
    }
  });

  it('prints only the JSON document with --json, even on a TTY', async () => {
    const { out } = await run(['--json'], true);
    const doc = JSON.parse(out) as { summary: Record<string, number> };
    assert.equal(doc.summary['error'], 0);
  });

  it('--verbose adds each check’s evidence as key: value lines under it', async () => {
    const { out } = await run(['--verbose'], false);
    // As a thumbprint (hex digits only), whole under its key when it does not fit beside it.
    assert.match(out, /^ {6}fingerprint256:(?: |\n {8})[0-9A-F]{64}$/m);
    assert.match(out, /^ {6}values\.provisioningHost\.value: x\.azure-devices-provisioning\.net$/m);
    assert.doesNotMatch(out, /^\s*[{}]\s*$/m, 'no raw JSON braces');
  });
});
