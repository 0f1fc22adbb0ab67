// The site router lets private answers through for the DPS zone only (a rebind-domain-ok line added during the DPS
// roll-out) and still filters the hub's zone: provisioning works, the hub does not resolve, and the report says why.
// Real dnsmasq forwarding to the lab's DNS server; every address is loopback.
import assert from 'node:assert/strict';
import { provisionDevice, type LabHandle } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';
import { hasDnsmasq, startDnsmasq, type Dnsmasq } from './dnsmasq-peer';

describe('lab behind a rebind-filtering router that allows only the DPS zone', function () {
  this.timeout(30_000);
  let lab: LabHandle;
  let router: Dnsmasq | undefined;
  before(async function () {
    if (!hasDnsmasq()) {
      console.log('    SKIPPED: dnsmasq is not installed (apt-get install dnsmasq-base; .ci/run does this)');
      this.skip();
    }
    lab = await startTestLab();
    const [address, port] = [lab.dns.address, lab.dns.port];
    router = await startDnsmasq('127.0.0.81', [
      '--stop-dns-rebind',
      '--rebind-domain-ok=/azure-devices-provisioning.net/',
      `--server=/azure-devices-provisioning.net/${address}#${port}`,
      `--server=/azure-devices.net/${address}#${port}`,
    ]);
  });
  after(async () => {
    await router?.stop();
    await lab?.close();
  });

  it('provisions, and the hub is HUB_UNRESOLVED because its private answer was filtered', async () => {
    const device = await lab.createDevice('rebind-hub', 'symmetric-key');
    const options = optionsFor(lab, device);
    const result = await provisionDevice({
      ...options,
      network: { ...options.network, dnsServers: [(router as Dnsmasq).endpoint] },
    });
    assert.equal(result.dps.verdict, 'private-in-vnet');
    assert.equal(result.hub.verdict, 'unresolved');
    const unresolved = result.findings.find((f) => f.code === 'HUB_UNRESOLVED');
    assert.ok(unresolved, `HUB_UNRESOLVED in ${result.findings.map((f) => f.code).join(', ')}`);
    assert.match(unresolved.message, /filter/);
    assert.ok(result.findings.some((f) => f.code === 'DNS_PRIVATE_ANSWER_FILTERED'));
  });
});
