// Runs dps-check against the local lab in a healthy and in several broken configurations and prints each output:
// what a technician sees in the field. Everything stays on loopback.
//
//   npx tsx samples/diagnostics/lab-walkthrough.ts [--json]
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dpsCheck, startLab, type LabHandle } from '../../src/index';

async function show(title: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  process.stdout.write(`\n### ${title}\n\n$ dps-check ${args.join(' ')}\n`);
  let text = '';
  const code = await dpsCheck(args, {
    stdout: { write: (s: string) => (text += s), isTTY: false },
    stderr: { write: (s: string) => (text += s) },
    env,
  });
  process.stdout.write(`${text}(exit ${code})\n`);
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dps-diag-'));
  // Default ports (8883; WebSockets 443 as root, else 8443): the public twin must listen on the same port as DPS.
  const lab: LabHandle = await startLab({ retryAfterSeconds: 0 });
  try {
    const d = await lab.createDevice('pi-0001', 'x509-individual');
    if (!('cert' in d.auth)) throw new Error('expected X.509 credentials');
    const file = (name: string, data: string): string => {
      const p = path.join(dir, name);
      writeFileSync(p, data, { mode: 0o600 });
      return p;
    };
    const cert = file('pi-0001.pem', d.auth.cert);
    const key = file('pi-0001.key', d.auth.key);
    const ca = file('lab-ca.pem', lab.caPem);
    const base = [
      '--host',
      lab.dps.host,
      '--id-scope',
      lab.dps.idScope,
      '--registration-id',
      d.registrationId,
      '--cert',
      cert,
      '--key',
      key,
      '--ca',
      ca,
      '--expect-cidr',
      lab.vnetCidrs[0] as string,
      '--dns-server',
      lab.dnsServer,
      '--port',
      String(lab.dps.port),
      '--ws-port',
      String(lab.dps.wsPort),
      '--hub-port',
      String(lab.hub.port),
      '--hub-ws-port',
      String(lab.hub.wsPort),
      ...(json ? ['--json'] : []),
    ];
    await show('healthy, with --register', [...base, '--register']);
    lab.setDnsView('public', 'dps');
    await show('DNS answers the public endpoint (resolver not linked to the private zone)', base);
    await show('the same with --policy warn --register: TLS fine, then 401 from the public endpoint', [
      ...base,
      '--policy',
      'warn',
      '--register',
    ]);
    lab.setDnsView('private', 'dps');
    lab.setFault({ kind: 'wrong-san' });
    await show('a certificate that does not cover the name (someone "fixed" DNS with an IP / hosts entry)', base);
    lab.setFault(undefined);
    const other = await lab.createDevice('pi-0002', 'x509-individual');
    if (!('cert' in other.auth)) throw new Error('expected X.509 credentials');
    const otherKey = file('pi-0002.key', other.auth.key);
    await show(
      'key from another device, registration id that is not the certificate CN',
      base.map((a) => (a === key ? otherKey : a === d.registrationId ? 'pi-1' : a)),
    );
    const { createPrivateKey } = await import('node:crypto');
    const encrypted = createPrivateKey(d.auth.key).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'the-right-one',
    }) as string;
    const encKey = file('pi-0001-encrypted.key', encrypted);
    await show(
      'an encrypted key and the wrong passphrase: the identity checks say so, DNS, TCP and TLS still answer',
      base.map((a) => (a === key ? encKey : a)),
      { DPS_KEY_PASSPHRASE: 'not-the-right-one' },
    );
    await show('nothing listens on the MQTT port (--port 1): the registration is not tried into its deadline', [
      ...base.map((a, i) => (base[i - 1] === '--port' ? '1' : a)),
      '--register',
    ]);
  } finally {
    await lab.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`walkthrough failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
