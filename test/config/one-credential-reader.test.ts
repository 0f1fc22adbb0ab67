// The one X.509 reader (src/config/credentials.ts): what it reads, how it says what is wrong, and that a credential
// is parsed once per process however many callers (provision, hub client, dps-check) read it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CredentialError,
  readCertificateChain,
  readPrivateKey,
  readX509Credential,
  type CredentialProblem,
} from '../../src/config/credentials';

/** A self-signed EC certificate and its key, made by openssl (an independent tool) in a temp dir. */
function makeCredential(cn: string): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpl-cred-'));
  try {
    const keyFile = path.join(dir, 'k.pem');
    const certFile = path.join(dir, 'c.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
    execFileSync('openssl', [
      'req',
      '-new',
      '-x509',
      '-key',
      keyFile,
      '-subj',
      `/CN=${cn}`,
      '-days',
      '2',
      '-out',
      certFile,
    ]);
    return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('config: one X.509 credential reader', () => {
  const a = makeCredential('dev-a');
  const b = makeCredential('dev-b');

  it('reads PEM and DER certificates and keys, and matches a key to its certificate', () => {
    const der = new crypto.X509Certificate(a.cert).raw;
    assert.equal(readCertificateChain(a.cert).format, 'pem');
    assert.equal(readCertificateChain(der).format, 'der');
    assert.match(readCertificateChain(der).pem, /BEGIN CERTIFICATE/);
    const derKey = crypto.createPrivateKey(a.key).export({ format: 'der', type: 'pkcs8' });
    assert.equal(readPrivateKey(derKey).format, 'der');
    assert.match(String(readPrivateKey(derKey).pem), /BEGIN PRIVATE KEY/);
    assert.equal(readX509Credential(a.cert, a.key, undefined).matches, true);
    assert.equal(readX509Credential(a.cert, b.key, undefined).matches, false);
  });

  it('parses a credential once: the same inputs give the same parsed object, other inputs another', () => {
    const first = readX509Credential(a.cert, a.key, undefined);
    assert.equal(readX509Credential(a.cert, a.key, undefined), first);
    assert.equal(readX509Credential(Buffer.from(a.cert), Buffer.from(a.key), undefined), first);
    assert.notEqual(readX509Credential(b.cert, b.key, undefined), first);
    assert.ok(Object.isFrozen(first));
  });

  const encrypted = crypto
    .createPrivateKey(a.key)
    .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'correct horse' }) as string;
  const cases: [string, () => unknown, CredentialProblem][] = [
    ['a string without PEM', () => readCertificateChain('hello'), 'cert-no-pem'],
    ['bytes that are not DER', () => readCertificateChain(Buffer.from([1, 2, 3])), 'cert-not-der'],
    ['PEM of another kind', () => readCertificateChain(a.key), 'cert-no-certificate-block'],
    [
      'a broken CERTIFICATE block',
      () => readCertificateChain('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      'cert-unreadable',
    ],
    ['a key string without PEM', () => readPrivateKey('not a key'), 'key-no-pem'],
    ['an encrypted key without passphrase', () => readPrivateKey(encrypted), 'key-missing-passphrase'],
    ['an encrypted key, wrong passphrase', () => readPrivateKey(encrypted, 'not-it-at-all'), 'key-bad-passphrase'],
    ['garbage key bytes', () => readPrivateKey(Buffer.from('garbage')), 'key-unreadable'],
  ];
  for (const [what, read, problem] of cases) {
    it(`${what}: CredentialError ${problem}, with no key material or passphrase in the message`, () => {
      assert.throws(read, (e: unknown) => {
        assert.ok(e instanceof CredentialError, String(e));
        assert.equal(e.problem, problem);
        assert.doesNotMatch(e.message, /BEGIN|correct horse|not-it-at-all/);
        return true;
      });
    });
  }

  it('decrypts an encrypted key with its passphrase', () => {
    assert.equal(readPrivateKey(encrypted, 'correct horse').encrypted, true);
  });
});
