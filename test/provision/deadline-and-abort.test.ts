import assert from 'node:assert/strict';
import { AbortedError, provisionDevice, ProvisioningError } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { activeHandles, optionsFor, settleHandles, startTestLab } from '../support/provision-lab';

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

  for (const transport of ['mqtt', 'mqtt-ws'] as const) {
    it(`${transport}: DPS never answers → DPS_TIMEOUT at step "registering" within timeoutMs`, async () => {
      const device = await lab.createDevice(`never-${transport}`, 'symmetric-key');
      lab.setFault({ kind: 'never-answer' }, { registrationId: device.registrationId });
      const baseline = activeHandles();
      const started = Date.now();
      await assert.rejects(provisionDevice(optionsFor(lab, device, { transport, timeoutMs: 400 })), (e: ProvisioningError) => {
        assert.equal(e.code, 'DPS_TIMEOUT');
        assert.equal(e.step, 'registering');
        assert.match(e.message, /400 ms/);
        return true;
      });
      assert.ok(Date.now() - started < 1500, `stopped promptly (${Date.now() - started} ms)`);
      await noLeaks(baseline);
    });
  }

  it('the DNS server never answers → DPS_TIMEOUT at step "resolving"', async () => {
    const device = await lab.createDevice('dns-drop', 'symmetric-key');
    lab.setDnsView('drop');
    const baseline = activeHandles();
    await assert.rejects(provisionDevice(optionsFor(lab, device, { timeoutMs: 300 })), (e: ProvisioningError) => e.code === 'DPS_TIMEOUT' && e.step === 'resolving');
    await noLeaks(baseline);
  });

  it('abort while waiting for DPS → AbortedError at once, sockets closed', async () => {
    const device = await lab.createDevice('abort-mid', 'x509-individual');
    lab.setFault({ kind: 'never-answer' }, { registrationId: device.registrationId });
    const controller = new AbortController();
    const baseline = activeHandles();
    const started = Date.now();
    await assert.rejects(
      provisionDevice(optionsFor(lab, device, { signal: controller.signal, onProgress: (e) => e.step === 'registering' && setTimeout(() => controller.abort(), 20) })),
      (e: unknown) => e instanceof AbortedError && (e as AbortedError).code === 'ERR_ABORTED',
    );
    assert.ok(Date.now() - started < 2000);
    await noLeaks(baseline);
  });

  it('abort while waiting out a retry-after → AbortedError, the retry timer is cleared', async () => {
    const device = await lab.createDevice('abort-wait', 'symmetric-key');
    lab.setFault({ kind: 'throttle', retryAfterSeconds: 30 }, { registrationId: device.registrationId });
    const controller = new AbortController();
    const baseline = activeHandles();
    const pending = provisionDevice(optionsFor(lab, device, { signal: controller.signal, timeoutMs: 60_000 }));
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(pending, AbortedError);
    await noLeaks(baseline);
  });

  it('an already-aborted signal rejects before any DNS query', async () => {
    const device = await lab.createDevice('abort-early', 'symmetric-key');
    const queries = lab.dns.queryCount();
    await assert.rejects(provisionDevice(optionsFor(lab, device, { signal: AbortSignal.abort() })), AbortedError);
    assert.equal(lab.dns.queryCount(), queries);
  });
});
