import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig, readConfigFile } from '../../src/config/load';
import { InvalidOptionError } from '../../src/errors';
import { put, tempDir } from '../checks/fixtures';

describe('loadConfig', () => {
  const dir = tempDir('dps-config-');
  const file = put(
    dir,
    'device.json',
    JSON.stringify({
      provisioningHost: 'file-dps.azure-devices-provisioning.net',
      idScope: '0ne000FILE',
      registrationId: 'dev-file',
      certFile: 'certs/dev.pem',
      expectedCidrs: ['10.1.0.0/16'],
      port: 18883,
    }),
  );

  it('takes flags over environment over the config file over defaults, and records each source', () => {
    const loaded = loadConfig({
      flags: { provisioningHost: 'flag-dps.azure-devices-provisioning.net' },
      env: { DPS_ID_SCOPE: '0ne000ENV', DPS_DNS_SERVERS: '127.0.0.53:5353, 127.0.0.54' },
      configFile: file,
    });
    assert.equal(loaded.config.provisioningHost, 'flag-dps.azure-devices-provisioning.net');
    assert.deepEqual(loaded.sources.provisioningHost, { kind: 'flag', name: '--host' });
    assert.equal(loaded.config.idScope, '0ne000ENV');
    assert.deepEqual(loaded.sources.idScope, { kind: 'env', name: 'DPS_ID_SCOPE' });
    assert.equal(loaded.config.registrationId, 'dev-file');
    assert.deepEqual(loaded.sources.registrationId, { kind: 'file', name: `${file}#registrationId` });
    assert.deepEqual(loaded.config.dnsServers, ['127.0.0.53:5353', '127.0.0.54']);
    assert.equal(loaded.config.port, 18883);
    assert.equal(loaded.config.transport, 'mqtt');
    assert.deepEqual(loaded.sources.transport, { kind: 'default', name: 'default' });
  });

  it('resolves paths in the config file against the file, and paths in flags against the working directory', () => {
    assert.equal(loadConfig({ configFile: file }).config.certFile, path.join(dir, 'certs/dev.pem'));
    assert.equal(loadConfig({ flags: { certFile: 'x.pem' } }).config.certFile, path.resolve('x.pem'));
  });

  it('finds the config file through DPS_CONFIG', () => {
    const loaded = loadConfig({ env: { DPS_CONFIG: file } });
    assert.equal(loaded.configFile, file);
    assert.equal(loaded.config.idScope, '0ne000FILE');
  });

  it('takes the passphrase and the symmetric key from the environment only', () => {
    const loaded = loadConfig({ env: { DPS_KEY_PASSPHRASE: 'pw', DPS_SYMMETRIC_KEY: 'c2VjcmV0' } });
    assert.equal(loaded.passphrase, 'pw');
    assert.equal(loaded.passphraseSource, 'DPS_KEY_PASSPHRASE');
    assert.equal(loaded.symmetricKey, 'c2VjcmV0');
  });

  it('joins repeated list flags and splits commas', () => {
    const loaded = loadConfig({ flags: { expectedCidrs: ['10.1.0.0/16,10.2.0.0/16', '10.3.0.0/16'] } });
    assert.deepEqual(loaded.config.expectedCidrs, ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16']);
  });

  const bad: { name: string; options: () => Parameters<typeof loadConfig>[0]; option: RegExp; fix: RegExp }[] = [
    {
      name: 'a transport that does not exist',
      options: () => ({ flags: { transport: 'amqp' } }),
      option: /--transport/,
      fix: /mqtt, mqtt-ws/,
    },
    {
      name: 'a policy that does not exist',
      options: () => ({ env: { DPS_POLICY: 'strict' } }),
      option: /DPS_POLICY/,
      fix: /enforce, warn, off/,
    },
    {
      name: 'a port that is not a number',
      options: () => ({ flags: { port: '88x3' } }),
      option: /--port/,
      fix: /1 to 65535/,
    },
    {
      name: 'a port out of range',
      options: () => ({ env: { DPS_WS_PORT: '70000' } }),
      option: /DPS_WS_PORT/,
      fix: /1 to 65535/,
    },
    {
      name: 'an empty list item',
      options: () => ({ env: { DPS_EXPECTED_CIDRS: '10.1.0.0/16,,' } }),
      option: /DPS_EXPECTED_CIDRS/,
      fix: /non-empty/,
    },
    {
      name: 'a missing config file',
      options: () => ({ configFile: path.join(dir, 'nope.json') }),
      option: /--config .*nope\.json/,
      fix: /existing, readable JSON/,
    },
    {
      name: 'a config file that is not JSON',
      options: () => ({ configFile: put(dir, 'bad.json', '{ provisioningHost: nope') }),
      option: /bad\.json/,
      fix: /one JSON object/,
    },
    {
      name: 'a config file that is an array',
      options: () => ({ configFile: put(dir, 'array.json', '[]') }),
      option: /array\.json/,
      fix: /one JSON object/,
    },
    {
      name: 'an unknown config field',
      options: () => ({ configFile: put(dir, 'typo.json', '{"provisionHost":"x"}') }),
      option: /typo\.json#provisionHost/,
      fix: /Known fields/,
    },
    {
      name: 'a secret in the config file',
      options: () => ({ configFile: put(dir, 'secret.json', '{"passphrase":"x"}') }),
      option: /#passphrase/,
      fix: /DPS_KEY_PASSPHRASE/,
    },
    {
      name: 'a list field that is a string',
      options: () => ({ configFile: put(dir, 'list.json', '{"expectedCidrs":"10.1.0.0/16"}') }),
      option: /#expectedCidrs/,
      fix: /\["value"/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}, naming the input and the fix`, () => {
      assert.throws(
        () => loadConfig(c.options()),
        (err: unknown) => err instanceof InvalidOptionError && c.option.test(err.option) && c.fix.test(err.message),
      );
    });
  }

  it('never mutates the flags it is given', () => {
    const flags = { expectedCidrs: ['10.1.0.0/16'], port: '8883' };
    const copy = structuredClone(flags);
    loadConfig({ flags });
    assert.deepEqual(flags, copy);
  });

  it('reads the same file format the Raspberry Pi sample uses', () => {
    const sample = readConfigFile(path.join(__dirname, '../../samples/raspberry-pi/device.example.json'));
    assert.match(sample.provisioningHost ?? '', /azure-devices-provisioning\.net$/);
  });
});
