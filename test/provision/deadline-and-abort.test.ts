import assert from 'node:assert/strict';
import { AbortedError, provisionDevice, ProvisioningError } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { Deadline } from '../../src/provision/deadline';
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
      // Reaching "registering" takes ~50-100 ms here; 1500 ms leaves a loaded machine (2 shared cores) room to get
      // there, so the step asserted is the one DPS left unanswered, not wherever a slow run happened to be.
      const timeoutMs = 1500;
      let registeringAt: number | undefined;
      const started = Date.now();
      const onProgress = (e: { step: string }): void => {
        if (e.step === 'registering') registeringAt = Date.now() - started;
      };
      await assert.rejects(
        provisionDevice(optionsFor(lab, device, { transport, timeoutMs, onProgress })),
        (e: ProvisioningError) => {
          assert.equal(e.code, 'DPS_TIMEOUT');
          assert.ok(registeringAt !== undefined, 'the run reached "registering" before the deadline');
          assert.equal(e.step, 'registering');
          assert.match(e.message, /1500 ms/);
          assert.match(e.findings[0].remediation, /DPS accepted the connection/);
          return true;
        },
      );
      const took = Date.now() - started;
      assert.ok(took >= timeoutMs - 5 && took < timeoutMs + 1000, `stopped at the deadline (${took} ms)`);
      await noLeaks(baseline);
    });
  }

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

  it('abort while waiting for DPS → AbortedError at once, sockets closed', async () => {
    const device = await lab.createDevice('abort-mid', 'x509-individual');
    lab.setFault({ kind: 'never-answer' }, { registrationId: device.registrationId });
    const controller = new AbortController();
    const baseline = activeHandles();
    const started = Date.now();
    await assert.rejects(
      provisionDevice(
        optionsFor(lab, device, {
          signal: controller.signal,
          onProgress: (e) => e.step === 'registering' && setTimeout(() => controller.abort(), 20),
        }),
      ),
      (e: unknown) => e instanceof AbortedError && (e as AbortedError).code === 'ERR_ABORTED',
    );
    assert.ok(Date.now() - started < 2000);
    await noLeaks(baseline);
  });

  it('abort while waiting out a retry-after → AbortedError, the retry timer is cleared', async () => {
    const device = await lab.createDevice('abort-wait', 'symmetric-key');
    lab.setFault({ kind: 'throttle', retryAfterSeconds: 30 }, { registrationId: device.registrationId });
    const controller = new AbortController();
    const registrations = lab.counters.registrations;
    // Abort exactly when the 30 s retry wait starts (not after a guessed delay that may fall before it).
    const sleep = Deadline.prototype.sleep;
    let waited: number | undefined;
    Deadline.prototype.sleep = function (this: Deadline, ms: number) {
      const wait = sleep.call(this, ms);
      if (ms >= 30_000 && waited === undefined) {
        waited = ms;
        setImmediate(() => controller.abort());
      }
      return wait;
    };
    try {
      const baseline = activeHandles();
      const started = Date.now();
      await assert.rejects(
        provisionDevice(optionsFor(lab, device, { signal: controller.signal, timeoutMs: 60_000 })),
        AbortedError,
      );
      assert.ok(waited !== undefined && waited >= 30_000, 'the abort came during the retry-after wait');
      assert.equal(lab.counters.registrations, registrations + 1, 'one attempt, then the wait, then nothing');
      assert.ok(Date.now() - started < 2000, 'the wait ended at the abort, not after 30 s');
      await noLeaks(baseline);
    } finally {
      Deadline.prototype.sleep = sleep;
    }
  });

  it('an already-aborted signal rejects before any DNS query', async () => {
    const device = await lab.createDevice('abort-early', 'symmetric-key');
    const queries = lab.dns.queryCount();
    await assert.rejects(provisionDevice(optionsFor(lab, device, { signal: AbortSignal.abort() })), AbortedError);
    assert.equal(lab.dns.queryCount(), queries);
  });
});
