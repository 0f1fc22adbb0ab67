// Item 5 of the hardening issue: a symmetric key or passphrase pasted into the wrong setting (flag, environment or
// config file) never comes out of dps-check: not in the text output, --verbose, --json, the --report bundle, nor in
// the usage errors of --dns-server / --expect-cidr / --ntp-server / config-file fields.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dpsCheck } from '../../src/checks/main';
import { CHECKS } from '../../src/checks/registry';

// DPS generates 64-byte keys; this one is key-shaped. The passphrase is any shape, with characters JSON escapes.
const KEY = 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEg==';
const PASSPHRASE = 'hunter2 "quoted" back\\slash';
const PASS_JSON = JSON.stringify(PASSPHRASE).slice(1, -1);
const env = { DPS_SYMMETRIC_KEY: KEY, DPS_KEY_PASSPHRASE: PASSPHRASE };
const noNetwork = CHECKS.map((c) => c.id).filter((id) => id !== 'config-well-formed');
const base = ['--host', 'x.azure-devices-provisioning.net', '--policy', 'warn', '--dont-run', noNetwork.join(',')];

async function run(argv: string[], e: Record<string, string> = env): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await dpsCheck(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (out += s) },
    env: e,
  });
  return { code, out };
}

function assertClean(text: string, what: string): void {
  for (const secret of [KEY, PASSPHRASE, PASS_JSON, KEY.slice(0, 40), 'hunter2']) {
    assert.ok(!text.includes(secret), `${what} contains ${secret.slice(0, 12)}…:\n${text}`);
  }
}

describe('hardening (input): dps-check never prints a known secret, wherever it was pasted', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-input-secrets-'));

  const pasted: [string, string[], Record<string, string>][] = [
    [
      'the key as --id-scope, the passphrase as --registration-id',
      ['--id-scope', KEY, '--registration-id', PASSPHRASE],
      env,
    ],
    ['the passphrase as --id-scope', ['--id-scope', PASSPHRASE], env],
    ['the key in DPS_REGISTRATION_ID', [], { ...env, DPS_REGISTRATION_ID: KEY }],
    ['the passphrase in DPS_ID_SCOPE', [], { ...env, DPS_ID_SCOPE: PASSPHRASE }],
    ['an unknown key (no DPS_SYMMETRIC_KEY) as --id-scope: shown by size only', ['--id-scope', KEY], {}],
  ];
  for (const [what, flags, e] of pasted) {
    for (const format of ['text', 'verbose', 'json', 'json-stream', 'report', 'html'] as const) {
      it(`${what}: ${format} output`, async () => {
        const report = path.join(dir, `${Math.random().toString(36).slice(2)}.${format === 'html' ? 'html' : 'json'}`);
        const extra = {
          text: [],
          verbose: ['--verbose'],
          json: ['--json'],
          'json-stream': ['--output', 'json-stream'],
          report: ['--report', report],
          html: ['--report', report],
        }[format];
        const { code, out } = await run([...base, ...flags, ...extra], e);
        assert.ok(code === 0 || code === 1, out);
        assertClean(out, `${format} output`);
        if (format === 'json') assert.match(out, /"config-well-formed"/);
        if (format === 'report' || format === 'html') {
          const bundle = readFileSync(report, 'utf8');
          assertClean(bundle, 'the --report bundle');
          assert.match(bundle, format === 'html' ? /idScope|registrationId/ : /"idScope"|"registrationId"/);
        }
      });
    }
  }

  it('--verbose shows a pasted value by size, and the other values as they are', async () => {
    const { out } = await run([...base, '--verbose', '--id-scope', KEY, '--registration-id', 'dev-1']);
    assert.match(out, /a string of 88 characters \(not shown\)/);
    assert.match(out, /values\.registrationId\.value: dev-1$/m);
  });

  const usage: [string, string[], Record<string, string>][] = [
    ['--dns-server <passphrase>', ['--dns-server', PASSPHRASE], env],
    ['--dns-server <key>', ['--dns-server', KEY], {}],
    ['--dns-server 10.0.0.1:<key>', ['--dns-server', `10.0.0.1:${KEY}`], env],
    ['--expect-cidr <passphrase>', ['--expect-cidr', PASSPHRASE], env],
    ['--expect-cidr <key>', ['--expect-cidr', KEY], {}],
    ['--expect-cidr 10.0.0.0/<passphrase>', ['--expect-cidr', `10.0.0.0/${PASSPHRASE}`], env],
    ['--ntp-server <passphrase>', ['--ntp-server', PASSPHRASE], env],
    ['--ntp-server <key>', ['--ntp-server', KEY], {}],
    ['--transport <passphrase>', ['--transport', PASSPHRASE], env],
    ['--timeout-ms <key>', ['--timeout-ms', KEY], {}],
    ['--dont-run <passphrase>', ['--dont-run', PASSPHRASE], env],
    ['--passphrase-env <passphrase>', ['--passphrase-env', PASSPHRASE], env],
    ['DPS_DNS_SERVERS=<key>', [], { ...env, DPS_DNS_SERVERS: KEY }],
    ['DPS_PORT=<passphrase>', [], { ...env, DPS_PORT: PASSPHRASE }],
    ['a stray argument <key>', [KEY], env],
    // Found by the fuzzer (input-fuzz): recognisable without the environment too.
    ['a stray argument <key>, no DPS_SYMMETRIC_KEY', [KEY], {}],
    ['--expect-cidr 10.0.0.0/<key>, no DPS_SYMMETRIC_KEY', ['--expect-cidr', `10.0.0.0/${KEY}`], {}],
  ];
  for (const [what, flags, e] of usage) {
    it(`usage error for ${what}: exit 2, the value not echoed`, async () => {
      const { code, out } = await run([...base.filter((a) => a !== '--dont-run' && !a.includes(',')), ...flags], e);
      assert.equal(code, 2, out);
      assert.match(out, /^dps-check: /);
      assertClean(out, 'the usage error');
    });
  }

  const fields: [string, unknown][] = [
    ['dnsServers', [PASSPHRASE]],
    ['dnsServers', [KEY]],
    ['expectedCidrs', [KEY]],
    ['expectedCidrs', PASSPHRASE],
    ['transport', PASSPHRASE],
    ['port', KEY],
    ['idScope', [KEY]],
  ];
  for (const [field, value] of fields) {
    it(`config file field ${field} = ${Array.isArray(value) ? '[secret]' : 'secret'}: exit 2, the value not echoed`, async () => {
      const file = path.join(dir, `config-${field}-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify({ provisioningHost: 'x.azure-devices-provisioning.net', [field]: value }));
      // Without the environment only a key-shaped value is recognisable; a known secret is recognised in any shape.
      for (const e of JSON.stringify(value).includes(KEY) ? [env, {}] : [env]) {
        const { code, out } = await run(['--config', file, '--policy', 'warn'], e);
        assert.equal(code, 2, out);
        assertClean(out, 'the config-file error');
      }
    });
  }
});
