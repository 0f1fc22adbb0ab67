#!/usr/bin/env node
// dps-certs: test certificates for a DPS enrollment (root CA, group intermediate, device certificates, the
// proof-of-possession certificate), made with the lab's node-forge PKI functions. Keys are written with mode 600 and
// never printed; what is printed is what the Azure side needs: file names, thumbprints, and the az commands.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { argvProblem } from '../support/argv';
import { issueCertificate, issueEcCertificate, rsaKey, thumbprintOf, type LabCertificate } from './certs';

const USAGE = `Usage: dps-certs <command> [options]

Creates TEST certificates for Azure DPS X.509 enrollments (not for production:
use your PKI for that). Private keys are written with mode 600, never printed.

Commands:
  root           a self-signed root CA (RSA 2048): root-ca.pem, root-ca.key
  intermediate   a group CA signed by the root: group-ca.pem, group-ca.key
  device <id>    a device certificate, CN = <id> = the registration id:
                 <id>.pem (leaf, then the intermediate when --issuer group),
                 <id>.key
  verify <code>  the proof-of-possession certificate for a CA uploaded to
                 DPS (CN = the verification code DPS generated): verify.pem

Options:
  --dir DIR            where the files are (default: the current directory)
  --issuer root|group  CA that signs a device or verify certificate
                       (default: group when group-ca.pem exists, else root)
  --key-type rsa|ec    device key: RSA 2048 (default) or ECC P-256; CA keys
                       are RSA 2048
  --days N             validity in days (default 365; 1 to 3650)
  --force              replace existing files (default: refuse)
  -h, --help           this text
  --version            print the version and exit

Exit status: 0 done, 1 the files could not be written, 2 bad usage.
`;

const OPTIONS = {
  dir: { type: 'string' },
  issuer: { type: 'string' },
  'key-type': { type: 'string' },
  days: { type: 'string' },
  force: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const;

const COMMANDS = ['root', 'intermediate', 'device', 'verify'] as const;
type Command = (typeof COMMANDS)[number];

/** Bad usage: one line naming the flag or argument and the fix; exit 2. */
class UsageError extends Error {}

interface Args {
  command: Command;
  /** The device id (device) or verification code (verify). */
  value?: string;
  dir: string;
  issuer?: 'root' | 'group';
  keyType: 'rsa' | 'ec';
  days: number;
  force: boolean;
}

function parse(argv: string[]): Args | 'help' | 'version' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(argvProblem(argv, err));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  const [command, value, ...rest] = positionals;
  if (!command) throw new UsageError(`missing <command>: use one of ${COMMANDS.join(', ')} (see --help)`);
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new UsageError(`unknown command ${JSON.stringify(command)}: use one of ${COMMANDS.join(', ')}`);
  const wantsValue = command === 'device' || command === 'verify';
  if (wantsValue && !value)
    throw new UsageError(
      command === 'device'
        ? 'device: missing <id>: give the registration id, e.g. dps-certs device pi-0001'
        : 'verify: missing <code>: give the verification code DPS generated for the CA',
    );
  if (rest.length || (!wantsValue && value))
    throw new UsageError(`unexpected argument ${JSON.stringify(rest[0] ?? value)}: see dps-certs --help`);
  if (value !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(value))
    throw new UsageError(
      `${command}: ${JSON.stringify(value)} is not usable as a CN: use 1-128 letters, digits, '-', '.', '_' or ':'`,
    );
  const issuer = values.issuer;
  if (issuer !== undefined && issuer !== 'root' && issuer !== 'group')
    throw new UsageError(`--issuer ${JSON.stringify(issuer)}: use root or group`);
  const keyType = values['key-type'] ?? 'rsa';
  if (keyType !== 'rsa' && keyType !== 'ec')
    throw new UsageError(`--key-type ${JSON.stringify(keyType)}: use rsa or ec`);
  if (values['key-type'] !== undefined && command !== 'device')
    throw new UsageError(`--key-type applies to device certificates only (CA keys are RSA 2048)`);
  const daysText = values.days ?? '365';
  const days = /^\d+$/.test(daysText) ? Number(daysText) : NaN;
  if (!(days >= 1 && days <= 3650)) throw new UsageError(`--days ${JSON.stringify(daysText)}: use 1 to 3650`);
  const out: Args = {
    command: command as Command,
    dir: path.resolve(values.dir ?? '.'),
    keyType,
    days,
    force: !!values.force,
  };
  if (value !== undefined) out.value = value;
  if (issuer !== undefined) out.issuer = issuer;
  return out;
}

/** A CA written by an earlier run: its certificate and key, as the PKI functions take an issuer. */
function readCa(dir: string, base: 'root-ca' | 'group-ca'): LabCertificate {
  const certFile = path.join(dir, `${base}.pem`);
  const keyFile = path.join(dir, `${base}.key`);
  let certPem: string;
  let keyPem: string;
  try {
    certPem = fs.readFileSync(certFile, 'utf8');
    keyPem = fs.readFileSync(keyFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const make = base === 'root-ca' ? 'dps-certs root' : 'dps-certs intermediate';
    throw new UsageError(`--dir ${dir}: cannot read ${base}.pem/${base}.key (${code}): run ${make} --dir ${dir} first`);
  }
  try {
    // A mismatched pair would sign certificates nobody can verify: check it before issuing anything.
    const cert = new crypto.X509Certificate(certPem);
    if (!cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) throw new Error('the key does not match');
  } catch (err) {
    throw new UsageError(`--dir ${dir}: ${base}.pem/${base}.key unusable (${(err as Error).message}): recreate them`);
  }
  // The CA's chain as a device presents it: an intermediate sends itself, the root is never sent.
  return { certPem, keyPem, chainPem: certPem, thumbprint: thumbprintOf(certPem) };
}

/** Writes the files (keys 600, certificates 644) after checking none exists, so a refusal leaves nothing behind. */
function writeAll(dir: string, files: { name: string; content: string; secret: boolean }[], force: boolean): string[] {
  try {
    // One level only: a recursive mkdir spins for ever under /proc (a Node bug), and a typo should not build a tree.
    if (!fs.existsSync(dir)) fs.mkdirSync(dir, { mode: 0o700 });
    if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UsageError(`--dir ${dir}: not a writable directory (${code}): pass a directory you can write to`);
  }
  if (!force) {
    const existing = files.filter((f) => fs.existsSync(path.join(dir, f.name)));
    if (existing.length)
      throw new UsageError(`${path.join(dir, existing[0]!.name)} exists: pass --force to replace it, or another --dir`);
  }
  return files.map((f) => {
    const file = path.join(dir, f.name);
    const tmp = `${file}.${process.pid}.tmp`;
    // Written under a temporary name with its final mode, then renamed: a key is never briefly world-readable.
    fs.writeFileSync(tmp, f.content, { mode: f.secret ? 0o600 : 0o644, flag: 'wx' });
    fs.chmodSync(tmp, f.secret ? 0o600 : 0o644);
    fs.renameSync(tmp, file);
    return file;
  });
}

function describe(label: string, cert: LabCertificate): string[] {
  const x = new crypto.X509Certificate(cert.certPem);
  return [
    `${label}: ${x.subject.split('\n').find((l) => l.startsWith('CN=')) ?? x.subject}`,
    `  valid ${new Date(x.validFrom).toISOString().slice(0, 10)} to ${new Date(x.validTo).toISOString().slice(0, 10)}`,
    `  SHA-1 thumbprint   ${x.fingerprint.replace(/:/g, '')}`,
    // On a line of its own: 64 hex digits after the label would pass 80 columns.
    '  SHA-256 thumbprint',
    `    ${cert.thumbprint}`,
  ];
}

function run(args: Args): string[] {
  const notAfter = new Date(Date.now() + args.days * 24 * 3600_000);
  const { dir } = args;
  const rel = (f: string): string => path.relative(process.cwd(), f) || f;
  if (args.command === 'root') {
    const root = issueCertificate({ commonName: 'dps-private-link test root CA', usage: 'ca', notAfter }, rsaKey());
    const [cert] = writeAll(
      dir,
      [
        { name: 'root-ca.pem', content: root.certPem, secret: false },
        { name: 'root-ca.key', content: root.keyPem, secret: true },
      ],
      args.force,
    );
    return [
      ...describe('root CA', root),
      `  wrote ${rel(cert!)} and root-ca.key (mode 600)`,
      '',
      'Enroll it in DPS (Certificates), then prove you hold its key:',
      '  az iot dps certificate create -g <rg> --dps-name <dps> \\',
      `    --certificate-name test-root --path ${rel(cert!)}`,
      '  az iot dps certificate generate-verification-code -g <rg> --dps-name <dps> \\',
      '    --certificate-name test-root --etag <etag from the previous output>',
      `  dps-certs verify <verification code> --issuer root --dir ${rel(dir)}`,
      '  az iot dps certificate verify -g <rg> --dps-name <dps> \\',
      `    --certificate-name test-root --path ${rel(path.join(dir, 'verify.pem'))} --etag <etag>`,
      'Next: dps-certs intermediate (group enrollments) or dps-certs device <id>.',
    ];
  }
  if (args.command === 'intermediate') {
    const root = readCa(dir, 'root-ca');
    const group = issueCertificate(
      { commonName: 'dps-private-link test group CA', usage: 'ca', issuer: root, notAfter },
      rsaKey(),
    );
    const [cert] = writeAll(
      dir,
      [
        { name: 'group-ca.pem', content: group.certPem, secret: false },
        { name: 'group-ca.key', content: group.keyPem, secret: true },
      ],
      args.force,
    );
    return [
      ...describe('group CA (signed by the root)', group),
      `  wrote ${rel(cert!)} and group-ca.key (mode 600)`,
      '',
      'An enrollment group for every device it signs (the root must be verified in',
      'DPS, or upload this CA and verify it the same way):',
      '  az iot dps enrollment-group create -g <rg> --dps-name <dps> \\',
      '    --enrollment-id test-group --ca-name test-root',
      `Then: dps-certs device <id> --dir ${rel(dir)}`,
    ];
  }
  const issuerName = args.issuer ?? (fs.existsSync(path.join(dir, 'group-ca.pem')) ? 'group' : 'root');
  const issuer = readCa(dir, issuerName === 'group' ? 'group-ca' : 'root-ca');
  if (args.command === 'verify') {
    const proof = issueCertificate({ commonName: args.value!, usage: 'client', issuer, notAfter }, rsaKey());
    const [cert] = writeAll(dir, [{ name: 'verify.pem', content: proof.certPem, secret: false }], true);
    return [
      `verification certificate: CN=${args.value} signed by the ${issuerName} CA`,
      `  wrote ${rel(cert!)} (its key is discarded: DPS only checks the signature)`,
      '  az iot dps certificate verify -g <rg> --dps-name <dps> \\',
      `    --certificate-name <name> --path ${rel(cert!)} --etag <etag>`,
    ];
  }
  const spec = { commonName: args.value!, usage: 'client' as const, issuer, notAfter };
  const device = args.keyType === 'ec' ? issueEcCertificate(spec) : issueCertificate(spec, rsaKey());
  const id = args.value!;
  const [cert] = writeAll(
    dir,
    [
      { name: `${id}.pem`, content: device.chainPem, secret: false },
      { name: `${id}.key`, content: device.keyPem, secret: true },
    ],
    args.force,
  );
  return [
    ...describe(`device certificate (${args.keyType === 'ec' ? 'ECC P-256' : 'RSA 2048'}, ${issuerName} CA)`, device),
    `  wrote ${rel(cert!)} (${issuerName === 'group' ? 'leaf + group CA' : 'leaf'}) and ${id}.key (mode 600)`,
    '',
    issuerName === 'group'
      ? 'Covered by the enrollment group of its CA; or enroll it alone:'
      : 'Enroll it alone (individual enrollment), or in a group of the verified root:',
    '  az iot dps enrollment create -g <rg> --dps-name <dps> \\',
    `    --enrollment-id ${id} --attestation-type x509 \\`,
    `    --certificate-path ${rel(cert!)}`,
    'Device config (device.json):',
    `  "registrationId": "${id}",`,
    `  "certFile": "${id}.pem",`,
    `  "keyFile": "${id}.key"`,
  ];
}

function main(argv: string[]): number {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
    if (args === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (args === 'version') {
      // package.json is two levels up both from dist/lab (installed) and from src/lab (a clone under tsx).
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
        version: string;
      };
      process.stdout.write(`dps-certs ${pkg.version}\n`);
      return 0;
    }
    process.stdout.write(`${run(args).join('\n')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`dps-certs: ${err.message}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`dps-certs: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
