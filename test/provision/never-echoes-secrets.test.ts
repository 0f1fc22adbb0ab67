import assert from 'node:assert/strict';
import { createHubClient, InvalidOptionError, provisionDevice } from '../../src/index';
import type { ProvisioningResult, ProvisionOptions } from '../../src/index';

const KEY = '4L/cLgQk2mYxZ8vN3pR7sT1uW5yA9bC0dE6fH2jK4lM8nP0qS3tV7wX1zB5cD9eF2gH6iJ0kL4mN8oP2qR6sT0uV4w==';
const PASSWORD = 'S3cretPassw0rd';
const base: ProvisionOptions = {
  provisioningHost: 'my-dps.azure-devices-provisioning.net',
  idScope: '0ne00000A1B',
  registrationId: 'device-1',
  auth: { symmetricKey: 'c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHM=' },
  network: { expectedCidrs: ['10.1.0.0/16'], dnsServers: ['127.0.0.1:1'] },
};

// Each row: a secret put where the caller should not have put it, and the substring that must not be echoed.
const table: [string, Record<string, unknown>, string, string][] = [
  ['a bare key as auth', { auth: KEY }, 'auth', KEY.slice(0, 12)],
  ['a connection string as auth', { auth: `HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=${KEY}` }, 'auth', KEY.slice(0, 12)],
  ['a key as auth.cert', { auth: { cert: KEY, key: 42 } }, 'auth.key', KEY.slice(0, 12)],
  ['a key as auth.cert, key missing', { auth: { cert: 42, key: KEY } }, 'auth.cert', KEY.slice(0, 12)],
  ['a proxy URL with credentials', { transport: 'mqtt-ws', proxy: `http://user:${PASSWORD}@127.0.0.1:3128` }, 'proxy', PASSWORD],
  ['a proxy with credentials that is no URL', { transport: 'mqtt-ws', proxy: `http://user:${PASSWORD}@[::1` }, 'proxy', PASSWORD],
];

describe('provision: error messages never echo a secret', () => {
  for (const [what, patch, option, secret] of table) {
    it(`${what}: InvalidOptionError naming ${option}, the secret not in the message`, async () => {
      await assert.rejects(provisionDevice({ ...base, ...patch } as ProvisionOptions), (e: unknown) => {
        assert.ok(e instanceof InvalidOptionError, String(e));
        assert.equal(e.option, option);
        assert.ok(!e.message.includes(secret), `message leaks the secret: ${e.message}`);
        assert.ok(!String(e.stack).includes(secret), 'nor does the stack');
        return true;
      });
    });
  }

  it('says what was passed without its content: type and length', async () => {
    await assert.rejects(provisionDevice({ ...base, auth: KEY as never }), new RegExp(`a string of ${KEY.length} characters \\(not shown\\)`));
  });

  it('a proxy URL is echoed with its userinfo stripped', async () => {
    await assert.rejects(provisionDevice({ ...base, transport: 'mqtt-ws', proxy: `http://user:${PASSWORD}@127.0.0.1:3128` }), /http:\/\/\*\*\*@127\.0\.0\.1:3128/);
  });

  it('createHubClient: a connection string as auth is not echoed', () => {
    const result = { assignedHub: 'h.azure-devices.net', hub: {}, findings: [] } as unknown as ProvisioningResult;
    assert.throws(() => createHubClient(result, `HostName=h;DeviceId=d;SharedAccessKey=${KEY}` as never), (e: unknown) => {
      assert.ok(e instanceof InvalidOptionError);
      assert.ok(!e.message.includes(KEY.slice(0, 12)), e.message);
      return true;
    });
  });
});
