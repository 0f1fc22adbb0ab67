import assert from 'node:assert/strict';
import { createHubClient, InvalidOptionError, provisionDevice } from '../../src/index';
import type { ProvisioningResult, ProvisionOptions } from '../../src/index';

const KEY = '4L/cLgQk2mYxZ8vN3pR7sT1uW5yA9bC0dE6fH2jK4lM8nP0qS3tV7wX1zB5cD9eF2gH6iJ0kL4mN8oP2qR6sT0uV4w==';
// A 64-byte key as DPS generates it (88 base64 characters): the shape describe() must recognise on its own.
const KEY64 = 'CzBVep/E6Q4zWH2ix+wRNluApcrvFDleg6jN8hc8YYar0PUaP2SJrtP4HUJnjLHW+yBFao+02f4jSG2St9wBJg==';
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
  [
    'a connection string as auth',
    { auth: `HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=${KEY}` },
    'auth',
    KEY.slice(0, 12),
  ],
  ['a key as auth.cert', { auth: { cert: KEY, key: 42 } }, 'auth.key', KEY.slice(0, 12)],
  ['a key as auth.cert, key missing', { auth: { cert: 42, key: KEY } }, 'auth.cert', KEY.slice(0, 12)],
  [
    'a proxy URL with credentials',
    { transport: 'mqtt-ws', proxy: `http://user:${PASSWORD}@127.0.0.1:3128` },
    'proxy',
    PASSWORD,
  ],
  [
    'a proxy with credentials that is no URL',
    { transport: 'mqtt-ws', proxy: `http://user:${PASSWORD}@[::1` },
    'proxy',
    PASSWORD,
  ],
  [
    'a proxy with credentials and no scheme',
    { transport: 'mqtt-ws', proxy: `alice:${PASSWORD}@10.0.0.5:3128` },
    'proxy',
    PASSWORD,
  ],
  [
    'a proxy password with a slash',
    { transport: 'mqtt-ws', proxy: 'http://alice:pa/ss@10.0.0.5:3128' },
    'proxy',
    'pa/ss',
  ],
  [
    'a proxy password with a slash (its first half)',
    { transport: 'mqtt-ws', proxy: 'http://alice:pa/ss@10.0.0.5:3128' },
    'proxy',
    'alice:pa',
  ],
  [
    'a proxy password with a space',
    { transport: 'mqtt-ws', proxy: 'http://alice:pa ss@10.0.0.5:3128' },
    'proxy',
    'ss@',
  ],
  ['a proxy password with an @', { transport: 'mqtt-ws', proxy: 'http://alice:p@ss@10.0.0.5:3128' }, 'proxy', 'ss@'],
  ['a 32-byte key as idScope', { idScope: 'q1z2x3c4v5b6n7m8l9k0j1h2g3f4d5s6a7p8o9i0u1y=' }, 'idScope', 'q1z2'],
  ['a 64-byte key as registrationId', { registrationId: KEY64 }, 'registrationId', KEY64.slice(0, 12)],
  ['a 64-byte key as provisioningHost', { provisioningHost: KEY64 }, 'provisioningHost', KEY64.slice(0, 12)],
  [
    'the device key, of no key shape, as idScope',
    { idScope: 'c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHM=' },
    'idScope',
    'c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHM=',
  ],
  [
    'the passphrase as idScope',
    { idScope: 'my passphrase!', auth: { cert: 'x', key: 'y', passphrase: 'my passphrase!' } },
    'idScope',
    'my passphrase!',
  ],
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
    await assert.rejects(
      provisionDevice({ ...base, auth: KEY as never }),
      new RegExp(`a string of ${KEY.length} characters \\(not shown\\)`),
    );
  });

  it('a proxy URL with credentials is described by shape only, and says it carries credentials', async () => {
    const proxy = `http://user:${PASSWORD}@127.0.0.1:3128`;
    await assert.rejects(
      provisionDevice({ ...base, transport: 'mqtt-ws', proxy }),
      new RegExp(`a string of ${proxy.length} characters \\(not shown\\) with credentials`),
    );
  });

  it('a proxy without credentials that is refused is echoed as scheme and host only', async () => {
    await assert.rejects(
      provisionDevice({ ...base, transport: 'mqtt-ws', proxy: 'https://127.0.0.1:3128/some/path?q=1' }),
      (e: unknown) => {
        assert.ok(e instanceof InvalidOptionError);
        assert.match(e.message, /"https:\/\/127\.0\.0\.1:3128" is not http/);
        assert.ok(!e.message.includes('some/path'), e.message);
        return true;
      },
    );
  });

  it('describe(undefined) says undefined once', async () => {
    await assert.rejects(provisionDevice({ ...base, idScope: undefined as never }), (e: unknown) => {
      assert.ok(e instanceof InvalidOptionError);
      assert.match(e.message, /got undefined\./);
      assert.doesNotMatch(e.message, /undefined undefined/);
      return true;
    });
  });

  it('createHubClient: the device key pasted into another option is not echoed in its error', () => {
    const result = {
      assignedHub: 'h.azure-devices.net',
      deviceId: 'device-1',
      registrationId: 'device-1',
      hub: { host: 'h.azure-devices.net', addresses: [], expectedCidrs: ['10.1.0.0/16'] },
      findings: [],
    } as unknown as ProvisioningResult;
    const symmetricKey = 'c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHM=';
    assert.throws(
      () => createHubClient(result, { symmetricKey }, { transport: symmetricKey as never }),
      (e: unknown) => {
        assert.ok(e instanceof InvalidOptionError);
        assert.equal(e.option, 'options.transport');
        assert.ok(!e.message.includes(symmetricKey), e.message);
        assert.ok(!String(e.stack).includes(symmetricKey), 'nor does the stack');
        return true;
      },
    );
  });

  it('createHubClient: a connection string as auth is not echoed', () => {
    // A complete result: createHubClient must get as far as checking auth, or the assertion below proves nothing.
    const result = {
      assignedHub: 'h.azure-devices.net',
      deviceId: 'device-1',
      registrationId: 'device-1',
      hub: { host: 'h.azure-devices.net', addresses: [], expectedCidrs: ['10.1.0.0/16'] },
      findings: [],
    } as unknown as ProvisioningResult;
    assert.throws(
      () => createHubClient(result, `HostName=h;DeviceId=d;SharedAccessKey=${KEY}` as never),
      (e: unknown) => {
        assert.ok(e instanceof InvalidOptionError);
        assert.equal(e.option, 'auth');
        assert.ok(!e.message.includes(KEY.slice(0, 12)), e.message);
        return true;
      },
    );
  });
});
