import assert from 'node:assert/strict';
import { redact } from '../../src/log';

describe('redact', () => {
  it('replaces secret-looking fields and keeps the rest', () => {
    const out = redact({ registrationId: 'dev-1', auth: { symmetricKey: 'c2VjcmV0', key: 'PEM', passphrase: 'p' }, sasToken: 'SharedAccessSignature sr=x' });
    assert.deepEqual(out, { registrationId: 'dev-1', auth: { symmetricKey: '[redacted]', key: '[redacted]', passphrase: '[redacted]' }, sasToken: '[redacted]' });
  });
});
