import assert from 'node:assert/strict';
import { redact } from '../../src/log';

describe('redact', () => {
  it('replaces secret fields and keeps the rest', () => {
    const out = redact({ registrationId: 'dev-1', auth: { symmetricKey: 'c2VjcmV0', key: 'PEM', passphrase: 'p' }, sasToken: 'x' });
    assert.deepEqual(out, { registrationId: 'dev-1', auth: { symmetricKey: '[redacted]', key: '[redacted]', passphrase: '[redacted]' }, sasToken: '[redacted]' });
  });

  it('keeps fields that only look like secrets by name: paths and verdicts', () => {
    const input = { keyFile: '/etc/dps/dev.key', certFile: '/etc/dps/dev.pem', keyMatches: true, keyType: 'ec', tokenTtlSeconds: 3600 };
    assert.deepEqual(redact(input), input);
  });

  const secretValues: [string, string][] = [
    ['a SAS token', 'SharedAccessSignature sr=0ne%2fregistrations%2fdev&sig=abc%3D&se=1&skn=registration'],
    ['a connection string', 'HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=c2VjcmV0'],
    ['a signed URL', 'https://h/x?se=1&sig=abc'],
    ['a PEM private key', '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----'],
  ];
  for (const [what, secret] of secretValues) {
    it(`replaces ${what} whatever the field is called`, () => {
      assert.deepEqual(redact({ note: secret, list: [secret] }), { note: '[redacted]', list: ['[redacted]'] });
    });
  }

  it('cuts credentials out of URLs and keeps the rest of the URL', () => {
    const out = redact({ proxy: 'http://alice:Pr0xyPassw0rd@10.0.0.5:3128', plain: 'http://10.0.0.5:3128' });
    assert.deepEqual(out, { proxy: 'http://[redacted]@10.0.0.5:3128', plain: 'http://10.0.0.5:3128' });
  });

  it('never returns buffer contents', () => {
    assert.deepEqual(redact({ der: Buffer.from('secret') }), { der: '[6 bytes]' });
  });

  it('does not mutate its input', () => {
    const input = { auth: { key: 'PEM' } };
    redact(input);
    assert.equal(input.auth.key, 'PEM');
  });
});
