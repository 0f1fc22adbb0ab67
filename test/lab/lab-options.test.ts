import assert from 'node:assert/strict';
import { startLab } from '../../src/index';
import type { LabOptions } from '../../src/index';

describe('startLab options', () => {
  const bad: [LabOptions, string, RegExp][] = [
    [{ dpsAddress: '10.0.0.4' }, 'dpsAddress', /not a loopback address/],
    [{ dpsAddress: 'dps' }, 'dpsAddress', /not an IP address/],
    [{ dpsAddress: '127.11.0.1' }, 'dpsAddress', /outside the lab VNET 127\.10\.0\.0\/16/],
    [{ publicTwinAddress: '127.10.0.99' }, 'publicTwinAddress', /inside the lab VNET/],
    [{ hubAddress: '127.10.0.10' }, 'hubAddress', /already dpsAddress/],
    [{ mqttPort: 70000 }, 'mqttPort', /not a port/],
    [{ wsPort: 8883 }, 'wsPort', /also mqttPort/],
    [{ dpsName: 'Lab_DPS' }, 'dpsName', /not a valid resource name/],
    [{ idScope: 'scope' }, 'idScope', /not a DPS ID scope/],
    [{ retryAfterSeconds: -1 }, 'retryAfterSeconds', /not a whole number/],
    [{ vnetCidr: '127.10.0.0' }, 'vnetCidr', /not a CIDR/],
    [{ clockOffsetMs: 0.5 }, 'clockOffsetMs', /not a whole number of milliseconds/],
    [{ clockOffsetMs: -11 * 366 * 86_400_000 }, 'clockOffsetMs', /within ±10 years/],
  ];
  for (const [options, field, message] of bad) {
    it(`rejects a bad ${field} with an error naming it`, async () => {
      await assert.rejects(startLab(options), (err: Error & { code?: string; option?: string }) => {
        assert.equal(err.code, 'ERR_INVALID_OPTION');
        assert.equal(err.option, field);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('does not mutate the caller options', async () => {
    const options: LabOptions = Object.freeze({ mqttPort: 0, wsPort: 0 });
    const lab = await startLab(options);
    await lab.close();
    assert.deepEqual(options, { mqttPort: 0, wsPort: 0 });
  });

  it('reports a port clash naming the option, and releases what it had bound', async () => {
    const first = await startLab({ mqttPort: 0, wsPort: 0, dnsPort: 0 });
    try {
      await assert.rejects(startLab({ mqttPort: first.dps.port, wsPort: 0 }), {
        code: 'ERR_LAB_LISTEN',
        option: 'mqttPort',
        message: /in use/,
      });
    } finally {
      await first.close();
    }
    // everything was released: a second lab can take the same addresses
    const again = await startLab({ mqttPort: 0, wsPort: 0 });
    await again.close();
  });

  it('reports a DNS port clash as a typed error naming dnsPort, not a raw EADDRINUSE', async () => {
    const first = await startLab({ mqttPort: 0, wsPort: 0 });
    try {
      const port = Number(first.dnsServer.split(':').pop());
      await assert.rejects(startLab({ mqttPort: 0, wsPort: 0, dnsPort: port }), {
        name: 'LabListenError',
        code: 'ERR_LAB_LISTEN',
        option: 'dnsPort',
        message: /127\.0\.0\.53:\d+: the port is in use/,
      });
    } finally {
      await first.close();
    }
  });

  it('rejects bad createDevice input naming the field', async () => {
    const lab = await startLab({ mqttPort: 0, wsPort: 0 });
    try {
      await assert.rejects(lab.createDevice('Bad Id', 'symmetric-key'), {
        code: 'ERR_INVALID_OPTION',
        option: 'registrationId',
      });
      await assert.rejects(lab.createDevice('ok-id', 'x509-magic' as 'x509-group'), { option: 'kind' });
      await assert.rejects(lab.createDevice('grp-id', 'x509-group', { deviceId: 'other' }), {
        option: 'deviceId',
        message: /group enrollments always assign/,
      });
      await assert.rejects(lab.createDevice('ok-id', 'x509-individual', { keyType: 'dsa' as 'rsa' }), {
        option: 'keyType',
      });
      assert.throws(() => lab.setFault({ kind: 'throttle', times: 0 }), { option: 'fault.times' });
      assert.throws(() => lab.setFault({ kind: 'wrong-san' }, { registrationId: 'a' }), {
        option: 'scope.registrationId',
      });
    } finally {
      await lab.close();
    }
  });
});
