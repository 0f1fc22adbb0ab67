import assert from 'node:assert/strict';
import { InvalidOptionError, provisionDevice } from '../../src/index';
import type { ProvisionOptions } from '../../src/index';

const SECRET = 'c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHM=';
const good: ProvisionOptions = {
  provisioningHost: 'my-dps.azure-devices-provisioning.net',
  idScope: '0ne00000A1B',
  registrationId: 'device-1',
  auth: { symmetricKey: SECRET },
  network: { expectedCidrs: ['10.1.0.0/16'], dnsServers: ['127.0.0.1:1'] },
};

// Every row is refused at the door, before any DNS query or socket, with the option named and a fix.
const table: [string, Partial<ProvisionOptions> | Record<string, unknown>, string][] = [
  ['a URL as host', { provisioningHost: 'mqtts://my-dps.azure-devices-provisioning.net' }, 'provisioningHost'],
  ['an empty id scope', { idScope: '' }, 'idScope'],
  ['a registration id with spaces', { registrationId: 'my device' }, 'registrationId'],
  [
    'a registration id ending in "." (DPS ids end in a letter, digit or -)',
    { registrationId: 'device-1.' },
    'registrationId',
  ],
  ['a registration id ending in ":"', { registrationId: 'device:' }, 'registrationId'],
  ['a registration id of 129 characters', { registrationId: 'a'.repeat(129) }, 'registrationId'],
  ['no auth', { auth: undefined }, 'auth'],
  ['a certificate without key', { auth: { cert: '-----BEGIN CERTIFICATE-----' } }, 'auth.key'],
  ['a symmetric key that is not base64', { auth: { symmetricKey: 'not base64 !!' } }, 'auth.symmetricKey'],
  ['TLS 1.0 as minimum', { tls: { minVersion: 'TLSv1' } }, 'tls.minVersion'],
  ['TLS 1.1 as minimum', { tls: { minVersion: 'TLSv1.1' } }, 'tls.minVersion'],
  ['an unknown transport', { transport: 'amqp' }, 'transport'],
  ['a negative timeout', { timeoutMs: -1 }, 'timeoutMs'],
  ['a bad CIDR', { network: { expectedCidrs: ['10.1.0.0/33'] } }, 'network.expectedCidrs[0]'],
  ['enforce with no ranges', { network: { expectedCidrs: [] } }, 'network.expectedCidrs'],
  ['a proxy with plain mqtt', { proxy: 'http://10.0.0.5:3128' }, 'proxy'],
  ['a proxy by name', { transport: 'mqtt-ws', proxy: 'http://proxy.corp:3128' }, 'proxy'],
  ['a proxy with credentials', { transport: 'mqtt-ws', proxy: 'http://u:p@10.0.0.5:3128' }, 'proxy'],
  ['retry.maxAttempts 0', { retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
  ['jitter above 1', { retry: { jitter: 2 } }, 'retry.jitter'],
  ['port 70000', { port: 70000 }, 'port'],
  ['a timeout beyond setTimeout (2^31 ms)', { timeoutMs: 2 ** 31 }, 'timeoutMs'],
  ['a retry base delay beyond setTimeout (2^31 ms)', { retry: { baseDelayMs: 2 ** 31 } }, 'retry.baseDelayMs'],
  ['cache without path', { cache: {} }, 'cache.path'],
  ['a cache given as the path itself', { cache: '/var/lib/dev/dps-cache.json' }, 'cache'],
  ['both a symmetric key and a certificate', { auth: { symmetricKey: SECRET, cert: 'pem', key: 'pem' } }, 'auth'],
];

describe('provision: options are validated at the door', () => {
  for (const [what, patch, option] of table) {
    it(`refuses ${what} naming ${option}`, async () => {
      const options = { ...good, ...patch } as ProvisionOptions;
      const frozen = JSON.stringify(options);
      await assert.rejects(provisionDevice(options), (e: unknown) => {
        assert.ok(e instanceof InvalidOptionError, String(e));
        assert.equal(e.option, option);
        assert.equal(e.code, 'ERR_INVALID_OPTION');
        assert.ok(!e.message.includes(SECRET), 'never echoes the key');
        return true;
      });
      assert.equal(JSON.stringify(options), frozen, "the caller's options are not mutated");
    });
  }

  it('refuses a non-object without throwing synchronously', async () => {
    await assert.rejects(provisionDevice(null as never), InvalidOptionError);
  });
});
