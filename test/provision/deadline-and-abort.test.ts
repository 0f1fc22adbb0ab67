import assert from 'node:assert/strict';
import { AbortedError, provisionDevice, ProvisioningError } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { activeHandles, optionsFor, settleHandles, startTestLab } from '../support/provision-lab';

// The cases that reach DPS (never answers, abort mid-registration, abort during a retry-after wait) run over every
// transport in test/transports/provisioning-suite.ts; these two stop before any transport is involved.
describe('provision: deadline and abort stop everything and leave no open handles', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());
  afterEach(() => {
    lab.setFault(undefined);
    lab.setDnsView('private');
  });

  const noLeaks = async (baseline: string[]): Promise<void> => {
    const after = await settleHandles(baseline);
    assert.deepEqual([...after].sort(), [...baseline].sort(), 'no socket or timer is left behind');
  };

  it('the DNS server never answers → DPS_TIMEOUT at step "resolving"', async () => {
    const device = await lab.createDevice('dns-drop', 'symmetric-key');
    lab.setDnsView('drop');
    const baseline = activeHandles();
    await assert.rejects(
      provisionDevice(optionsFor(lab, device, { timeoutMs: 300 })),
      (e: ProvisioningError) =>
        e.code === 'DPS_TIMEOUT' && e.step === 'resolving' && /DNS server/.test(e.findings[0].remediation),
    );
    await noLeaks(baseline);
  });

  it('an already-aborted signal rejects before any DNS query', async () => {
    const device = await lab.createDevice('abort-early', 'symmetric-key');
    const queries = lab.dns.queryCount();
    await assert.rejects(provisionDevice(optionsFor(lab, device, { signal: AbortSignal.abort() })), AbortedError);
    assert.equal(lab.dns.queryCount(), queries);
  });
});
