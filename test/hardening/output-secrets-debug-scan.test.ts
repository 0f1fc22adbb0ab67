// Hardening item 2: with DEBUG=dps-private-link:* on, no flow prints a secret. Each flow runs as a child process with
// secrets-capture-hook.ts loaded, which records every secret the child made or used (symmetric and group keys, the
// HMAC keys and digests a SAS is made of, private keys, passphrases); stdout, stderr and any report file are then
// scanned for each of them, raw and in its base64, URL-encoded, hex and JSON-escaped forms, and for every line of a
// PEM body. Flows: the shared provisioning and outcomes suites over mqtt (test/transports/mqtt.test.ts, a
// representative subset of the suites), dps-check in every output format against the lab (good credentials and values
// pasted into the wrong flag), and dps-lab's own output.
// (input-secrets-in-dps-check.test.ts covers dps-check's in-process output and usage errors for pasted values;
// never-echoes-secrets.test.ts covers provisionDevice's error messages. This file adds DEBUG and child processes.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabHandle } from '../../src/index';
import { put } from '../checks/fixtures';
import { startTestLab } from '../support/provision-lab';

const ROOT = path.join(__dirname, '..', '..');
const HOOK = path.join(__dirname, 'secrets-capture-hook.ts');
const DEBUG_ENV = { DEBUG: 'dps-private-link:*', DEBUG_COLORS: '0' };

interface Captured {
  keys: string[];
  pems: string[];
  passphrases: string[];
}

interface ChildRun {
  code: number | null;
  output: string;
  secrets: Captured;
}

/**
 * Runs `node --require tsx/cjs --require <hook> ...args` with only `env` (plus PATH and the debug variables); `until`
 * (optional) ends it with SIGTERM once the output matches (a server that runs until stopped).
 */
function runChild(args: string[], env: Record<string, string>, timeoutMs: number, until?: RegExp): Promise<ChildRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-secrets-scan-'));
  const secretsFile = path.join(dir, 'secrets.json');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '--require', HOOK, ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...DEBUG_ENV, ...env, SECRETS_OUT: secretsFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (until && until.test(output)) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!existsSync(secretsFile)) return reject(new Error(`the child wrote no secrets file (exit ${code}):\n${output.slice(-3000)}`)); // prettier-ignore
      resolve({ code, output, secrets: JSON.parse(readFileSync(secretsFile, 'utf8')) as Captured });
    });
  });
}

/** Every form of `secret` that must not appear: raw, URL-encoded, JSON-escaped, base64, and hex of its bytes. */
function formsOf(secret: string, isBase64: boolean): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  if (isBase64) {
    const bytes = Buffer.from(secret, 'base64');
    forms.add(bytes.toString('hex'));
    forms.add(bytes.toString('base64url'));
    // A prefix catches a key cut short by a length limit (24 base64 characters = 18 bytes: never by chance).
    forms.add(secret.slice(0, 24));
    forms.add(encodeURIComponent(secret.slice(0, 24)));
  } else {
    forms.add(Buffer.from(secret).toString('base64'));
  }
  return [...forms].filter((f) => f.length >= 8);
}

/** The lines of a PEM body (each 64 base64 characters, the last shorter), and the base64 of the whole PEM text. */
function pemForms(pem: string): string[] {
  const body = pem
    .split(/\r?\n/)
    .filter((l) => l && !l.startsWith('-----') && !/^[A-Za-z-]+:/.test(l))
    .filter((l) => l.length >= 24);
  return [...body, ...body.map((l) => encodeURIComponent(l)), Buffer.from(pem).toString('base64').slice(40, 100)];
}

/** The forms of every captured secret (plus `extra`), each with a label that does not itself reveal it. */
function needles(
  secrets: Captured,
  extra: { label: string; value: string; base64: boolean }[] = [],
): [string, string][] {
  // prettier-ignore
  const out: [string, string][] = [];
  const keys = [...secrets.keys.map((v) => ({ label: 'key', value: v, base64: true })), ...extra];
  for (const { label, value, base64 } of keys) {
    for (const f of formsOf(value, base64)) out.push([`${label} ${value.slice(0, 4)}… (length ${value.length})`, f]);
  }
  for (const p of secrets.passphrases) for (const f of formsOf(p, false)) out.push([`passphrase of length ${p.length}`, f]); // prettier-ignore
  for (const pem of secrets.pems) for (const f of pemForms(pem)) out.push(['a private key PEM line', f]);
  return out;
}

function assertNoSecret(text: string, list: [string, string][], what: string): void {
  for (const [label, needle] of list) {
    const at = text.indexOf(needle);
    if (at !== -1) {
      const line = text.slice(text.lastIndexOf('\n', at) + 1, at).slice(-120);
      assert.fail(`${what}: ${label} appears, after: ${JSON.stringify(line)}`);
    }
  }
}

describe('hardening (output): no secret in any output with DEBUG=dps-private-link:*', function () {
  this.timeout(300_000);

  it('the scanner finds a secret in each form it looks for (so a clean scan means something)', () => {
    const key = crypto.randomBytes(64).toString('base64');
    const pem = String(crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' })); // prettier-ignore
    const secrets: Captured = { keys: [key], pems: [pem], passphrases: ['pass "phrase"'] };
    const list = needles(secrets);
    const leaks = [
      `sig=${encodeURIComponent(key)}`,
      `key ${Buffer.from(key, 'base64').toString('hex')}`,
      `truncated ${key.slice(0, 30)}`,
      `line ${pem.split('\n')[2]}`,
      `json {"p":${JSON.stringify('pass "phrase"')}}`,
      `b64 ${Buffer.from('pass "phrase"').toString('base64')}`,
    ];
    for (const leak of leaks) assert.throws(() => assertNoSecret(leak, list, 'canary'), /appears/, leak);
    assertNoSecret('nothing to see: sig=[redacted]', list, 'clean');
  });

  it('the shared provisioning and outcomes suites (mqtt) in a child: secrets captured, none printed', async () => {
    const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const run = await runChild([mocha, '--reporter', 'spec', 'test/transports/mqtt.test.ts'], {}, 240_000);
    const debugLines = run.output.split('\n').filter((l) => l.includes('dps-private-link:')).length;
    assert.ok(
      debugLines > 200,
      `debug output is on (${debugLines} lines; exit ${run.code}):\n${run.output.slice(-2000)}`,
    );
    assert.match(run.output, /passing/, 'the suites ran');
    assert.ok(run.secrets.keys.length > 20 && run.secrets.pems.length > 5, 'keys, SAS signatures and PEMs captured');
    assertNoSecret(run.output, needles(run.secrets), 'the suites’ output');
    console.log(
      `      suites: exit ${run.code}, ${debugLines} debug lines, ${run.output.length} characters scanned for ` +
        `${run.secrets.keys.length} keys/signatures, ${run.secrets.pems.length} private keys`,
    );
  });

  describe('dps-check in every output format, and dps-lab', () => {
    let lab: LabHandle;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-secrets-check-'));
    const PASSPHRASE = 'correct horse "battery" staple';
    let base: string[];
    let x509: { registrationId: string; cert: string; key: string; keyPem: string; encryptedPem: string };
    let symmetric: { registrationId: string; key: string };

    before(async () => {
      lab = await startTestLab();
      const d = await lab.createDevice('secrets-x509', 'x509-individual');
      assert.ok('cert' in d.auth);
      const encryptedPem = crypto
        .createPrivateKey(d.auth.key)
        .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE })
        .toString();
      x509 = {
        registrationId: d.registrationId,
        cert: put(dir, 'dev.pem', d.auth.cert),
        key: put(dir, 'dev.key', encryptedPem),
        keyPem: d.auth.key,
        encryptedPem,
      };
      const s = await lab.createDevice('secrets-sym', 'symmetric-key');
      assert.ok('symmetricKey' in s.auth);
      symmetric = { registrationId: s.registrationId, key: s.auth.symmetricKey };
      base = [
        path.join(ROOT, 'src/checks/cli.ts'),
        '--host', lab.dps.host, '--dns-server', lab.dnsServer, '--expect-cidr', String(lab.vnetCidrs[0]),
        '--ca', put(dir, 'ca.pem', lab.caPem), '--port', String(lab.dps.port), '--ws-port', String(lab.dps.wsPort),
        '--hub-port', String(lab.hub.port), '--hub-ws-port', String(lab.hub.wsPort), '--timeout-ms', '5000',
        '--dont-run', 'clock-skew',
      ]; // prettier-ignore
    });
    after(() => lab?.close());

    /** What each flow passes: good credentials, and secrets pasted where an identifier belongs. */
    const flows: [string, () => { args: string[]; env: Record<string, string> }][] = [
      ['x509 with an encrypted key, --register', () => ({ args: ['--id-scope', lab.dps.idScope, '--registration-id', x509.registrationId, '--cert', x509.cert, '--key', x509.key, '--passphrase-env', 'DEV_PASS', '--register'], env: { DEV_PASS: PASSPHRASE } })], // prettier-ignore
      ['symmetric key, --register', () => ({ args: ['--id-scope', lab.dps.idScope, '--registration-id', symmetric.registrationId, '--register'], env: { DPS_SYMMETRIC_KEY: symmetric.key } })], // prettier-ignore
      ['the key pasted as --id-scope, the passphrase as --registration-id', () => ({ args: ['--id-scope', symmetric.key, '--registration-id', PASSPHRASE, '--cert', x509.cert, '--key', x509.key, '--passphrase-env', 'DEV_PASS', '--register'], env: { DEV_PASS: PASSPHRASE, DPS_SYMMETRIC_KEY: symmetric.key } })], // prettier-ignore
      ['the key file given as --cert, the passphrase in DPS_ID_SCOPE', () => ({ args: ['--registration-id', x509.registrationId, '--cert', x509.key, '--key', x509.key, '--passphrase-env', 'DEV_PASS', '--register'], env: { DEV_PASS: PASSPHRASE, DPS_ID_SCOPE: PASSPHRASE } })], // prettier-ignore
    ];
    /** The output formats, a row each: `file` is the report path the format writes, scanned as well. */
    const formats: [string, (file: string) => string[], string | undefined][] = [
      ['text', () => [], undefined],
      ['--verbose', () => ['--verbose'], undefined],
      ['--json', () => ['--json'], undefined],
      ['--report FILE.json', (file) => ['--report', file], '.json'],
      ['--output json-stream', () => ['--output', 'json-stream'], undefined],
      ['--report FILE.html', (file) => ['--report', file], '.html'],
    ];

    for (const [flow, make] of flows) {
      it(`dps-check, ${flow}: no secret in any format (${formats.map((f) => f[0]).join(', ')})`, async () => {
        const { args, env } = make();
        const known = [
          { label: 'the symmetric key', value: symmetric.key, base64: true },
          { label: 'the passphrase', value: PASSPHRASE, base64: false },
        ];
        const runs = await Promise.all(
          formats.map(async ([name, extra, ext]) => {
            const file = ext ? path.join(dir, `report-${crypto.randomUUID()}${ext}`) : '';
            const run = await runChild([...base, ...args, ...extra(file)], env, 60_000);
            return { name, run, file: file && existsSync(file) ? readFileSync(file, 'utf8') : undefined, ext };
          }),
        );
        for (const { name, run, file, ext } of runs) {
          // 2 is a usage error (a key file given as --cert): one line on stderr, before any check or debug line.
          assert.ok([0, 1, 2].includes(run.code ?? -1), `${name}: exit ${run.code}\n${run.output.slice(-2000)}`);
          if (run.code !== 2) assert.match(run.output, /dps-private-link:/, `${name}: debug output is on`);
          const secrets: Captured = { ...run.secrets, pems: [...run.secrets.pems, x509.keyPem, x509.encryptedPem] };
          const list = needles(secrets, known);
          assertNoSecret(run.output, list, `${name} output`);
          if (ext && run.code !== 2) {
            assert.ok(file !== undefined, `${name}: the report was written`);
            assertNoSecret(file, list, `${name} report file`);
          }
        }
      });
    }

    it('dps-lab: its summary and debug output name files, never a key', async () => {
      const out = mkdtempSync(path.join(os.tmpdir(), 'dpl-secrets-lab-'));
      const port = 20000 + Math.floor(Math.random() * 20000);
      const run = await runChild(
        [
          path.join(ROOT, 'src/lab/cli.ts'),
          '--dns-address', '127.0.0.154', '--mqtt-port', String(port), '--ws-port', String(port + 1),
          '--device', 'lab-x509', '--device', 'lab-sym:symmetric-key', '--device', 'lab-group:symmetric-key-group',
          '--out-dir', out,
        ], // prettier-ignore
        {},
        60_000,
        /Device lab-group[\s\S]*tls: \{ ca: <[^>]*> \} \}/,
      );
      assert.match(run.output, /lab-sym/, `the summary was printed:\n${run.output.slice(-2000)}`);
      assert.ok(run.secrets.keys.length >= 2 && run.secrets.pems.length >= 1, 'the lab made keys');
      assertNoSecret(run.output, needles(run.secrets), 'dps-lab output');
    });
  });
});
