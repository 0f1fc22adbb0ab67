import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { loadDeviceIdentity } from '../../src/config/identity';
import { InvalidOptionError } from '../../src/errors';
import { ecCert, makeCert, pem, put, rsaKey, tempDir } from '../checks/fixtures';

describe('loadDeviceIdentity', () => {
  const dir = tempDir('dps-identity-');
  const key = rsaKey();
  const cert = pem(makeCert({ cn: 'dev-1', key }));
  const certFile = put(dir, 'dev-1.pem', cert);

  const keyCases: {
    name: string;
    data: () => string | Buffer;
    passphrase?: string;
    format: 'pem' | 'der';
    encrypted: boolean;
  }[] = [
    {
      name: 'PEM PKCS#8',
      data: () => key.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      format: 'pem',
      encrypted: false,
    },
    {
      name: 'PEM PKCS#1',
      data: () => key.privateKey.export({ type: 'pkcs1', format: 'pem' }),
      format: 'pem',
      encrypted: false,
    },
    {
      name: 'DER PKCS#8',
      data: () => key.privateKey.export({ type: 'pkcs8', format: 'der' }),
      format: 'der',
      encrypted: false,
    },
    {
      name: 'DER PKCS#1',
      data: () => key.privateKey.export({ type: 'pkcs1', format: 'der' }),
      format: 'der',
      encrypted: false,
    },
    {
      name: 'encrypted PEM PKCS#8',
      data: () =>
        key.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' }),
      passphrase: 'open sesame',
      format: 'pem',
      encrypted: true,
    },
    {
      name: 'encrypted DER PKCS#8',
      data: () =>
        key.privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: 'open sesame' }),
      passphrase: 'open sesame',
      format: 'der',
      encrypted: true,
    },
  ];
  for (const c of keyCases) {
    it(`reads an RSA key as ${c.name}`, () => {
      const keyFile = put(dir, `key-${c.name.replace(/\W+/g, '-')}`, c.data());
      const id = loadDeviceIdentity({ certFile, keyFile, ...(c.passphrase ? { passphrase: c.passphrase } : {}) });
      assert.equal(id.keyFormat, c.format);
      assert.equal(id.keyEncrypted, c.encrypted);
      assert.equal(id.chain[0]?.checkPrivateKey(id.key!), true);
    });
  }

  it('reads a DER certificate', () => {
    const der = put(dir, 'dev-1.der', new X509Certificate(cert).raw);
    const id = loadDeviceIdentity({ certFile: der });
    assert.equal(id.certFormat, 'der');
    assert.match(id.chain[0]?.subject ?? '', /CN=dev-1/);
  });

  it('reads an EC P-256 certificate and SEC1 key', () => {
    const ec = ecCert(dir, 'dev-ec');
    const id = loadDeviceIdentity({ certFile: ec.cert, keyFile: ec.key });
    assert.equal(id.key?.asymmetricKeyType, 'ec');
    assert.equal(id.chain[0]?.checkPrivateKey(id.key!), true);
  });

  it('reads every certificate of a chain file, leaf first', () => {
    const caKey = rsaKey();
    const ca = makeCert({ cn: 'Group CA', key: caKey, ca: true });
    const leaf = makeCert({ cn: 'dev-2', key, issuer: { cert: ca, key: caKey } });
    const id = loadDeviceIdentity({ certFile: put(dir, 'chain.pem', pem(leaf) + pem(ca)) });
    assert.deepEqual(
      id.chain.map((c) => c.subject),
      ['CN=dev-2', 'CN=Group CA'],
    );
  });

  const bad: { name: string; options: () => Parameters<typeof loadDeviceIdentity>[0]; match: RegExp }[] = [
    {
      name: 'a missing certificate file',
      options: () => ({ certFile: `${dir}/nope.pem` }),
      match: /--cert .*nope\.pem: no such file/,
    },
    {
      name: 'a garbage PEM certificate',
      options: () => ({
        certFile: put(dir, 'garbage.pem', '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n'),
      }),
      match: /not a PEM or DER X\.509 certificate/,
    },
    {
      name: 'a key where the certificate should be',
      options: () => ({
        certFile: put(dir, 'key-as-cert.pem', key.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      }),
      match: /not a PEM or DER X\.509 certificate/,
    },
    {
      name: 'an encrypted key without a passphrase',
      options: () => ({
        certFile,
        keyFile: put(
          dir,
          'enc.key',
          key.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw-1' }),
        ),
      }),
      match: /encrypted and no passphrase.*DPS_KEY_PASSPHRASE/,
    },
    {
      name: 'a wrong passphrase',
      options: () => ({
        certFile,
        keyFile: put(
          dir,
          'enc2.key',
          key.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right-one' }),
        ),
        passphrase: 'wrong-one',
      }),
      match: /wrong passphrase/,
    },
    {
      name: 'a garbage key',
      options: () => ({ certFile, keyFile: put(dir, 'garbage.key', 'hello') }),
      match: /--key .*garbage\.key: not a private key/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with the file and the fix`, () => {
      assert.throws(
        () => loadDeviceIdentity(c.options()),
        (err: unknown) => {
          assert.ok(err instanceof InvalidOptionError);
          assert.match(err.message, c.match);
          assert.doesNotMatch(err.message, /wrong-one|right-one|pw-1/);
          return true;
        },
      );
    });
  }
});
