import assert from 'node:assert/strict';
import { provisionDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';

// Azure documents the registration id as case-insensitive; an X.509 device's id is its certificate CN, upper case and
// all.
describe('provision: upper-case registration ids are accepted, as DPS accepts them', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  it('an X.509 device whose CN is "Sensor-ABC-01" provisions under that id', async () => {
    const device = await lab.createDevice('Sensor-ABC-01', 'x509-individual');
    const result = await provisionDevice(optionsFor(lab, device));
    assert.equal(result.registrationId, 'Sensor-ABC-01');
    assert.equal(result.assignedHub, lab.hub.host);
  });

  it('the same certificate provisions with the id in lower case (DPS matches the CN without regard to case)', async () => {
    const device = await lab.createDevice('Sensor-ABC-02', 'x509-individual');
    const result = await provisionDevice(optionsFor(lab, device, { registrationId: 'sensor-abc-02' }));
    assert.equal(result.registrationId, 'sensor-abc-02');
    assert.equal(result.deviceId, device.deviceId);
  });

  it('a symmetric-key device with an upper-case id provisions', async () => {
    const device = await lab.createDevice('KEY-DEVICE-03', 'symmetric-key');
    const result = await provisionDevice(optionsFor(lab, device));
    assert.equal(result.deviceId, 'KEY-DEVICE-03');
  });
});
