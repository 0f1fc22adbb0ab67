import assert from 'node:assert/strict';
import { cloudOf, identifyHost, isGlobalDpsEndpoint } from '../../src/endpoint/clouds';

describe('Azure clouds', () => {
  const table: [string, string | undefined, string, boolean][] = [
    ['my-dps.azure-devices-provisioning.net', 'public', 'dps', false],
    ['my-dps.privatelink.azure-devices-provisioning.net', 'public', 'dps', true],
    ['my-hub.azure-devices.net', 'public', 'hub', false],
    ['my-hub.privatelink.azure-devices.net', 'public', 'hub', true],
    ['my-dps.azure-devices-provisioning.us', 'government', 'dps', false],
    ['my-hub.azure-devices.us', 'government', 'hub', false],
    ['my-dps.azure-devices-provisioning.cn', 'china', 'dps', false],
    ['my-hub.privatelink.azure-devices.cn', 'china', 'hub', true],
    ['My-DPS.Azure-Devices-Provisioning.NET.', 'public', 'dps', false],
    ['dps.lab.test', undefined, 'other', false],
    ['evil-azure-devices.net', undefined, 'other', false],
  ];
  for (const [host, cloud, role, privateLink] of table) {
    it(`knows ${host} is ${role} in ${cloud ?? 'no Azure cloud'}`, () => {
      assert.equal(cloudOf(host), cloud);
      const id = identifyHost(host);
      assert.equal(id.role, role);
      assert.equal(id.isPrivateLinkName, privateLink);
    });
  }
  it('recognises the global device endpoint of every cloud, and nothing else', () => {
    assert.equal(isGlobalDpsEndpoint('global.azure-devices-provisioning.net'), true);
    assert.equal(isGlobalDpsEndpoint('GLOBAL.azure-devices-provisioning.us.'), true);
    assert.equal(isGlobalDpsEndpoint('global.azure-devices-provisioning.cn'), true);
    assert.equal(isGlobalDpsEndpoint('my-dps.azure-devices-provisioning.net'), false);
    assert.equal(isGlobalDpsEndpoint('global.azure-devices.net'), false);
  });
});
