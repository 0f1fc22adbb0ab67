import assert from 'node:assert/strict';
import { startLab } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { RawClient, dpsResponse } from './helpers/raw-client';

// Azure documents the DPS registration id as case-insensitive; X.509 devices take it from a CN that may have upper
// case.
describe('lab: registration ids are case-insensitive, as at DPS', () => {
  let lab: LabHandle;
  before(async () => {
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  });
  after(() => lab.close());

  it('createDevice accepts an upper-case id and that device registers under it', async () => {
    const device = await lab.createDevice('Sensor-Upper-01', 'symmetric-key');
    const { client, returnCode } = await RawClient.dps(lab, device);
    assert.equal(returnCode, 0);
    assert.equal(dpsResponse(await client.register(device.registrationId)).status, 202);
    client.close();
  });

  it('an X.509 certificate with CN "Sensor-CN-02" authenticates as registration "sensor-cn-02" (CN matched without case)', async () => {
    const device = await lab.createDevice('Sensor-CN-02', 'x509-individual');
    const { client, returnCode } = await RawClient.dps(lab, { registrationId: 'sensor-cn-02', auth: device.auth });
    assert.equal(returnCode, 0);
    assert.equal(dpsResponse(await client.register('sensor-cn-02')).status, 202);
    client.close();
  });

  it('a group X.509 certificate is matched the same way', async () => {
    const device = await lab.createDevice('Group-Member-03', 'x509-group');
    const { client, returnCode } = await RawClient.dps(lab, { registrationId: 'GROUP-MEMBER-03', auth: device.auth });
    assert.equal(returnCode, 0);
    client.close();
  });

  it('an individual symmetric-key enrollment is found whatever the case the device uses', async () => {
    const device = await lab.createDevice('Key-Device-04', 'symmetric-key');
    const { client, returnCode } = await RawClient.dps(lab, { registrationId: 'key-device-04', auth: device.auth });
    assert.equal(returnCode, 0);
    assert.equal(dpsResponse(await client.register('key-device-04')).status, 202);
    client.close();
  });

  it('a CN that differs in more than case is still refused (CONNACK 5)', async () => {
    const device = await lab.createDevice('Sensor-CN-05', 'x509-individual');
    const { returnCode } = await RawClient.dps(lab, { registrationId: 'sensor-cn-06', auth: device.auth });
    assert.equal(returnCode, 5);
  });

  for (const bad of ['Bad Id', 'ends-with-dot.', 'ends:', 'x'.repeat(129), '']) {
    it(`createDevice refuses ${JSON.stringify(bad.length > 20 ? `${bad.slice(0, 8)}… (${bad.length})` : bad)}, naming registrationId`, async () => {
      await assert.rejects(lab.createDevice(bad, 'symmetric-key'), {
        code: 'ERR_INVALID_OPTION',
        option: 'registrationId',
      });
    });
  }
});
