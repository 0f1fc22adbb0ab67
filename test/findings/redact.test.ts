import assert from 'node:assert/strict';
import { isSecretName, redact } from '../../src/log';

describe('redact', () => {
  it('replaces secret fields and keeps the rest', () => {
    const out = redact({
      registrationId: 'dev-1',
      auth: { symmetricKey: 'c2VjcmV0', key: 'PEM', passphrase: 'p' },
      sasToken: 'x',
    });
    assert.deepEqual(out, {
      registrationId: 'dev-1',
      auth: { symmetricKey: '[redacted]', key: '[redacted]', passphrase: '[redacted]' },
      sasToken: '[redacted]',
    });
  });

  const secretNames = [
    'key',
    'symmetricKey',
    'privateKey',
    'privateKeyPem',
    'apiKey',
    'device_key',
    'SYMMETRIC_KEY',
    'DPS_SYMMETRIC_KEY',
    'group-key',
    'passphrase',
    'keyPassphrase',
    'password',
    'proxyPassword',
    'passwd',
    'secret',
    'clientSecret',
    'token',
    'sasToken',
    'sas_token',
    'sig',
    'signature',
    'connectionString',
    'CONNECTION_STRING',
  ];
  const plainNames = [
    'keyFile',
    'keyPath',
    'keyType',
    'keyMatches',
    'certFile',
    'registrationId',
    'host',
    'tokenTtlSeconds',
    'sasExpiresAt',
    'keyBits',
  ];
  it('recognises secret field names in camelCase, snake_case and kebab-case', () => {
    assert.deepEqual(
      secretNames.filter((n) => !isSecretName(n)),
      [],
    );
  });
  it('keeps field names that are only about a secret (paths, types, verdicts, lifetimes)', () => {
    assert.deepEqual(
      plainNames.filter((n) => isSecretName(n)),
      [],
    );
  });

  const secretValues: [string, string, string][] = [
    ['a SAS token', 'SharedAccessSignature sr=0ne%2fregistrations%2fdev&sig=abc%3D&se=1&skn=registration', 'abc%3D'],
    ['a connection string', 'HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=c2VjcmV0', 'c2VjcmV0'],
    ['a signed URL', 'https://h/x?se=1&sig=abcdef', 'abcdef'],
    ['sig= at the start', 'sig=abcdef&se=1', 'abcdef'],
    ['a URL-encoded token', 'sr%3Dx%26sig%3Dc2VjcmV0JTNE%26se%3D1', 'c2VjcmV0JTNE'],
    ['a PEM private key', 'key: -----BEGIN EC PRIVATE KEY-----\nMHcCzz\n-----END EC PRIVATE KEY----- (end)', 'MHcCzz'],
    ['a PEM private key without its END line', '-----BEGIN PRIVATE KEY-----\nMIIEvQzz', 'MIIEvQzz'],
    ['proxy credentials', 'http://alice:Pr0xyPassw0rd@10.0.0.5:3128', 'Pr0xyPassw0rd'],
    ['proxy credentials without a scheme', 'alice:Secret1@10.0.0.5:3128', 'Secret1'],
    ['a password with a slash', 'http://alice:pa/ss@10.0.0.5:3128', 'pa/ss'],
    ['a password with an @', 'http://alice:p@ss@10.0.0.5:3128', 'p@ss'],
  ];
  for (const [what, text, secret] of secretValues) {
    it(`cuts ${what} out of any field`, () => {
      const out = redact({ note: text, list: [text] });
      assert.ok(!JSON.stringify(out).includes(secret), JSON.stringify(out));
    });
  }

  it('keeps the readable rest of a message that mentions a secret kind', () => {
    const sdk = 'The connection string must contain either a SharedAccessKey or SharedAccessSignature';
    assert.equal(redact(sdk), sdk);
    assert.equal(
      redact('proxy http://alice:pw@10.0.0.5:3128 refused'),
      'proxy http://[redacted]@10.0.0.5:3128 refused',
    );
    assert.equal(redact('write to ops@example.com'), 'write to ops@example.com');
  });

  it('never returns binary contents, turns dates into ISO strings, and cuts cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const shared = { x: 1 };
    assert.deepEqual(
      redact({ der: Buffer.from('secret'), raw: new Uint8Array(3), at: new Date(0), cyclic, twice: [shared, shared] }),
      {
        der: '[6 bytes]',
        raw: '[3 bytes]',
        at: '1970-01-01T00:00:00.000Z',
        cyclic: { a: 1, self: '[circular]' },
        twice: [{ x: 1 }, { x: 1 }],
      },
    );
  });

  it('does not mutate its input', () => {
    const input = { auth: { key: 'PEM' } };
    redact(input);
    assert.equal(input.auth.key, 'PEM');
  });
});
