// The conventions a technician expects of a command-line tool: --version, a default config file and usage on a bare
// run, --list --json, JSON usage errors under --json, --output json-stream, a summary that says how to see more and
// counts in the right plural, and "not run" for what depends on a --dont-run check.
import assert from 'node:assert/strict';
import path from 'node:path';
import { dpsCheck, toolVersion } from '../../src/checks/main';
import { CHECKS } from '../../src/checks/registry';
import { renderSummary } from '../../src/checks/render';
import { put, tempDir } from './fixtures';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], o: { env?: NodeJS.ProcessEnv; defaultConfigFile?: string } = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await dpsCheck(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s) },
    env: o.env ?? {},
    defaultConfigFile: o.defaultConfigFile ?? path.join(tempDir('dps-no-default-'), 'device.json'),
  });
  return { code, stdout, stderr };
}

// No network: dps-dns (and so everything that dials) and clock-skew are excluded.
const OFFLINE = [
  '--host',
  'x.azure-devices-provisioning.net',
  '--expect-cidr',
  '10.1.0.0/16',
  '--dns-server',
  '127.0.0.1:9',
  '--dont-run',
  'dps-dns,clock-skew',
];

describe('dps-check conventions', function () {
  this.timeout(30_000);
  const dir = tempDir('dps-conv-');

  it('--version prints the version (as JSON with --json) and exits 0', async () => {
    const text = await run(['--version']);
    assert.equal(text.code, 0);
    assert.equal(text.stdout, `dps-check ${toolVersion()}\n`);
    const json = await run(['--version', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), { version: toolVersion() });
  });

  it('a bare run with no configuration anywhere prints the usage and a hint on stderr and exits 2', async () => {
    const r = await run([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Usage: dps-check/);
    assert.match(r.stderr, /dps-check: nothing to check: .*device\.json does not exist\. Pass --config FILE/);
  });

  it('reads the default config file when neither --config nor DPS_CONFIG names one', async () => {
    const file = put(
      dir,
      'default-device.json',
      JSON.stringify({ provisioningHost: 'x.azure-devices-provisioning.net', expectedCidrs: ['10.1.0.0/16'] }),
    );
    const r = await run(['--dont-run', 'dps-dns,clock-skew', '--json'], { defaultConfigFile: file });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as { checks: { id: string; evidence: Record<string, unknown> }[] };
    const evidence = doc.checks.find((c) => c.id === 'config-well-formed')?.evidence;
    assert.equal(evidence?.['configFile'], file);
    // --config wins over the default
    const other = put(dir, 'other.json', JSON.stringify({ provisioningHost: 'y.azure-devices-provisioning.net' }));
    const withFlag = await run(['--config', other, '--policy', 'warn', '--dont-run', 'dps-dns,clock-skew', '--json'], {
      defaultConfigFile: file,
    });
    const values = (JSON.parse(withFlag.stdout) as typeof doc).checks.find((c) => c.id === 'config-well-formed')
      ?.evidence['values'] as Record<string, { value: unknown }>;
    assert.equal(values['provisioningHost']?.value, 'y.azure-devices-provisioning.net');
  });

  it('--list --json lists every check as JSON', async () => {
    const r = await run(['--list', '--json']);
    assert.equal(r.code, 0);
    const doc = JSON.parse(r.stdout) as { checks: { id: string; section: string; dependsOn: string[] }[] };
    assert.deepEqual(
      doc.checks.map((c) => c.id),
      CHECKS.map((c) => c.id),
    );
    assert.deepEqual(doc.checks.find((c) => c.id === 'hub-dns')?.dependsOn, ['dps-register']);
  });

  it('a usage error under --json is also a JSON document on stdout, exit 2', async () => {
    for (const argv of [
      ['--json', '--hots', 'x'],
      ['--output', 'json-stream', '--expect-cidr', '10.1.0.0/40', '--host', 'x.azure-devices-provisioning.net'],
    ]) {
      const r = await run(argv);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      const doc = JSON.parse(r.stdout) as { error: { code: string; message: string }; exitCode: number };
      assert.equal(doc.error.code, 'ERR_INVALID_OPTION');
      assert.equal(doc.exitCode, 2);
      assert.match(doc.error.message, /--hots|10\.1\.0\.0\/40/);
    }
  });

  it('--output json-stream: one JSON object per line for each check, then the summary', async () => {
    const r = await run([...OFFLINE, '--output', 'json-stream']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, CHECKS.length + 1);
    const objects = lines.map((l) => JSON.parse(l) as { type: string; id?: string; summary?: { ok: number } });
    // Each check once, in the order they completed (json-stream-completion-order.test.ts pins that order).
    assert.deepEqual(
      objects
        .slice(0, -1)
        .map((o) => [o.type, o.id])
        .sort(),
      CHECKS.map((c) => ['check', c.id]).sort(),
    );
    assert.equal(objects.at(-1)?.type, 'summary');
    assert.ok((objects.at(-1)?.summary?.ok ?? 0) > 0);
    assert.equal((await run([...OFFLINE, '--output', 'yaml'])).code, 2);
  });

  it('the summary counts in the right plural and says how to see more', () => {
    assert.equal(
      renderSummary({ ok: 1, warning: 1, error: 1, skipped: 0 }),
      '1 ok, 1 warning, 1 error, 0 skipped\n' +
        'Run again with --verbose for the evidence behind each line, or --report FILE for\n' +
        'a support bundle to attach to a ticket.',
    );
    assert.equal(
      renderSummary({ ok: 3, warning: 0, error: 2, skipped: 1 }, { verbose: true, report: true }),
      '3 ok, 0 warnings, 2 errors, 1 skipped',
    );
    assert.equal(renderSummary({ ok: 3, warning: 0, error: 0, skipped: 1 }), '3 ok, 0 warnings, 0 errors, 1 skipped');
  });

  it('after --dont-run dps-dns, the checks that need its answer say they were not run', async () => {
    const r = await run([...OFFLINE, '--json']);
    const doc = JSON.parse(r.stdout) as { checks: { id: string; result: string; detail?: string }[] };
    for (const id of ['dps-tcp-mqtt', 'dps-tcp-websocket']) {
      const c = doc.checks.find((x) => x.id === id);
      assert.equal(c?.result, 'skipped');
      assert.equal(c?.detail, 'not run: dps-dns was excluded by --dont-run', id);
    }
    assert.equal(doc.checks.find((x) => x.id === 'dps-tls-mqtt')?.detail, 'not run: dps-tcp-mqtt was not run');
  });
});
