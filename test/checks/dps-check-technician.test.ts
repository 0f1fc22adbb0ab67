// dps-check as the technician meets it, against the lab: what it skips and why, and what it says to do next.
// Every run passes --dns-server <lab DNS>: no Azure name ever goes to the system resolver.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startLab } from '../../src/lab/lab';
import type { LabDevice, LabHandle } from '../../src/lab/types';
import { provisionDevice } from '../../src/index';
import { writeCache, type CacheRecord } from '../../src/provision/cache';
import { optionsFor } from '../support/provision-lab';
import { jsonOf, LIBRARY_NAMES, resultOf, runCli } from './cli-helper';
import { makeCert, pem, put, rsaKey, tempDir } from './fixtures';

/** A CA certificate that signed nothing the lab presents. */
function makeCaPem(): string {
  const key = rsaKey();
  return pem(makeCert({ cn: 'Some Other Root', key, ca: true }));
}

describe('dps-check for the technician (lab)', function () {
  this.timeout(90_000);
  let lab: LabHandle;
  const dir = tempDir('dps-check-tech-');
  let base: string[];
  let device: string[];
  let labDevice: LabDevice;

  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0 });
    const d = await lab.createDevice('tech-dev-1', 'x509-individual');
    labDevice = d;
    assert.ok('cert' in d.auth);
    device = [
      '--id-scope',
      lab.dps.idScope,
      '--registration-id',
      d.registrationId,
      '--cert',
      put(dir, 'dev.pem', d.auth.cert),
      '--key',
      put(dir, 'dev.key', d.auth.key),
    ];
    base = [
      '--host',
      lab.dps.host,
      '--dns-server',
      lab.dnsServer,
      '--expect-cidr',
      lab.vnetCidrs[0] as string,
      '--ca',
      put(dir, 'lab-ca.pem', lab.caPem),
      '--ws-port',
      String(lab.dps.wsPort),
      '--hub-port',
      String(lab.hub.port),
      '--hub-ws-port',
      String(lab.hub.wsPort),
      '--timeout-ms',
      '3000',
      '--dont-run',
      'clock-skew',
    ];
  });
  after(async () => {
    await lab?.close();
  });

  it('--register after the TCP port in use failed: dps-register is skipped with the reason, not run into its deadline', async () => {
    // Port 1 on the DPS address: nothing listens there, so dps-tcp-mqtt fails at once.
    const run = await runCli([...base, ...device, '--port', '1', '--register', '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.equal(resultOf(doc, 'dps-tcp-mqtt'), 'error');
    const register = doc.checks.find((c) => c.id === 'dps-register');
    assert.equal(register?.result, 'skipped', JSON.stringify(register));
    assert.match(register?.detail ?? '', /dps-tcp-mqtt reached no address on port 1/);
    assert.deepEqual(register?.findings, []);
    assert.equal(resultOf(doc, 'hub-dns'), 'skipped');
  });

  it('--register with the port in use reachable still registers, and says what deadline it had', async () => {
    const run = await runCli([...base, ...device, '--port', String(lab.dps.port), '--register', '--json']);
    const doc = jsonOf(run);
    const register = doc.checks.find((c) => c.id === 'dps-register');
    assert.equal(register?.result, 'ok', JSON.stringify(register));
    assert.equal(register?.evidence['timeoutMs'], 12_000);
  });

  it('a wrong key passphrase: the identity checks error with the reason, DNS, TCP and TLS still answer', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const keyFile = device[device.indexOf('--key') + 1] as string;
    const encrypted = createPrivateKey(readFileSync(keyFile)).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'Right-Pass-1',
    });
    const args = [...device];
    args[args.indexOf('--key') + 1] = put(dir, 'enc.key', encrypted);
    const run = await runCli([...base, ...args, '--port', String(lab.dps.port), '--json'], {
      DPS_KEY_PASSPHRASE: 'Wrong-Pass-2',
    });
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    for (const id of ['dps-dns', 'dps-tcp-mqtt', 'dps-tcp-websocket', 'dps-tls-mqtt', 'dps-tls-websocket'])
      assert.equal(resultOf(doc, id), 'ok', id);
    assert.equal(resultOf(doc, 'device-cert'), 'error');
    assert.match(doc.checks.find((c) => c.id === 'device-cert')?.detail ?? '', /wrong passphrase/);
    assert.equal(resultOf(doc, 'device-key-match'), 'skipped');
  });

  describe('advice for the broken setups', () => {
    afterEach(() => {
      lab.setDnsView('private', 'dps');
    });
    const setups: { name: string; setup: () => string[]; code: string; says?: RegExp }[] = [
      {
        name: 'DPS private but outside the VNET',
        setup: () => (lab.setDnsView('outside-vnet', 'dps'), []),
        code: 'DNS_OUTSIDE_VNET',
        says: /--expect-cidr \("expectedCidrs" in the config file\) is wrong/,
      },
      {
        name: 'mixed answers',
        setup: () => (lab.setDnsView('mixed', 'dps'), []),
        code: 'DNS_MIXED_ANSWERS',
        says: /Keep --policy enforce/,
      },
      {
        name: 'the lab CA not trusted',
        setup: () => ['--ca', put(dir, 'empty-ca.pem', makeCaPem())],
        code: 'TLS_UNTRUSTED_CHAIN',
        says: /pass them with --ca \(or "caFile" in the config file\)/,
      },
      {
        name: 'the public twin',
        setup: () => (lab.setDnsView('public', 'dps'), ['--policy', 'warn', '--register']),
        code: 'DPS_UNAUTHORIZED_PUBLIC',
      },
    ];
    for (const s of setups) {
      it(`${s.name}: ${s.code}, its fix and link in dps-check's words, in text and JSON`, async () => {
        const extra = s.setup();
        const args = [...base, ...device, '--port', String(lab.dps.port), ...extra];
        const json = jsonOf(await runCli([...args, '--json']));
        const findings = json.checks.flatMap((c) => c.findings);
        const f = findings.find((x) => x.code === s.code);
        assert.ok(f, JSON.stringify(findings.map((x) => x.code)));
        assert.match(f.link ?? '', /^https:\/\/learn\.microsoft\.com\//);
        if (s.says) assert.match(f.remediation, s.says);
        for (const x of findings) assert.doesNotMatch(`${x.message} ${x.remediation}`, LIBRARY_NAMES, x.code);
        const text = await runCli(args);
        assert.match(text.stdout, new RegExp(`docs:\\s+${f.link?.replace(/[./]/g, '\\$&')}`));
        assert.doesNotMatch(text.stdout, LIBRARY_NAMES);
      });
    }
  });

  describe('--cache: the cached assignment', () => {
    let cacheFile: string;
    before(async () => {
      // The device app's own cache: a real registration through provisionDevice writes it.
      const d = labDevice;
      cacheFile = `${dir}/assignment.json`;
      await provisionDevice(optionsFor(lab, d, { cache: { path: cacheFile } }));
    });

    it('shows the cached hub, device id and age, and resolves the cached hub inside the VNET', async () => {
      const doc = jsonOf(
        await runCli([...base, ...device, '--port', String(lab.dps.port), '--cache', cacheFile, '--json']),
      );
      const c = doc.checks.find((x) => x.id === 'dps-cache');
      assert.equal(c?.result, 'ok', JSON.stringify(c));
      assert.equal(c?.evidence['assignedHub'], lab.hub.host);
      assert.equal(c?.evidence['credentialMatches'], true);
      assert.match(c?.detail ?? '', /cached \d+ s ago for this credential; .*in VNET/);
    });

    it("a cache made with another credential is not this device's: a warning saying it will register again", async () => {
      const other = await lab.createDevice('tech-other', 'x509-individual');
      assert.ok('cert' in other.auth);
      const args = [...device];
      args[args.indexOf('--cert') + 1] = put(dir, 'other.pem', other.auth.cert);
      args[args.indexOf('--key') + 1] = put(dir, 'other.key', other.auth.key);
      const doc = jsonOf(
        await runCli([...base, ...args, '--port', String(lab.dps.port), '--cache', cacheFile, '--json']),
      );
      const c = doc.checks.find((x) => x.id === 'dps-cache');
      assert.equal(c?.result, 'warning', JSON.stringify(c));
      assert.match(c?.detail ?? '', /registers with DPS on its next start/);
    });

    it('--register with a cache DPS no longer agrees with: dps-register says the cache is stale (a warning)', async () => {
      const record = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheRecord;
      const stale = `${dir}/stale-assignment.json`;
      await writeCache(stale, { ...record, deviceId: 'pi-before-reimage' });
      const doc = jsonOf(
        await runCli([...base, ...device, '--port', String(lab.dps.port), '--cache', stale, '--register', '--json']),
      );
      assert.equal(doc.checks.find((x) => x.id === 'dps-cache')?.result, 'ok');
      const register = doc.checks.find((x) => x.id === 'dps-register');
      assert.equal(register?.result, 'warning', JSON.stringify(register));
      assert.match(register?.detail ?? '', /the cache is stale: it names .* as pi-before-reimage/);
    });

    it('the cached hub resolving publicly is reported by dps-cache, naming the hub', async () => {
      lab.setDnsView('public', 'hub');
      try {
        const doc = jsonOf(
          await runCli([...base, ...device, '--port', String(lab.dps.port), '--cache', cacheFile, '--json']),
        );
        const c = doc.checks.find((x) => x.id === 'dps-cache');
        assert.equal(c?.result, 'error', JSON.stringify(c));
        assert.ok(
          c?.findings.some((f) => f.code === 'DNS_PRIVATELINK_NOT_PRIVATE' && f.message.includes(lab.hub.host)),
          JSON.stringify(c?.findings),
        );
      } finally {
        lab.setDnsView('private', 'hub');
      }
    });
  });

  it('--help says what --timeout-ms means for a registration', async () => {
    const help = await runCli(['--help']);
    assert.match(
      help.stdout,
      /--timeout-ms N +per network step \(default 5000\); --register's whole\n +registration gets 4 times that, at least 10000/,
    );
  });
});
