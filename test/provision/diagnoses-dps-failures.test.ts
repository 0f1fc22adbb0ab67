import assert from 'node:assert/strict';
import { provisionDevice, ProvisioningError } from '../../src/index';
import type { LabHandle, LabFault } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';

describe('provision: every DPS and TLS failure becomes a finding', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());
  afterEach(() => lab.setFault(undefined));

  let n = 0;
  const provisionWith = async (fault: LabFault | undefined, over: Parameters<typeof optionsFor>[2] = {}) => {
    const device = await lab.createDevice(`diag-${++n}`, 'symmetric-key');
    if (fault) lab.setFault(fault, { registrationId: device.registrationId });
    return provisionDevice(optionsFor(lab, device, { retry: { maxAttempts: 3, baseDelayMs: 10 }, ...over }));
  };
  const failsWith = async (
    code: string,
    fault: LabFault | undefined,
    over: Parameters<typeof optionsFor>[2] = {},
  ): Promise<ProvisioningError> => {
    const err = await provisionWith(fault, over).then(
      () => assert.fail(`expected ${code}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProvisioningError, `expected a ProvisioningError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.findings[0].code, code);
    return err;
  };

  it('429 with retry-after, twice, then assigned: retried and succeeds', async () => {
    const before = lab.counters.registrations;
    const result = await provisionWith({ kind: 'throttle', times: 2, retryAfterSeconds: 0 });
    assert.equal(result.assignedHub, lab.hub.host);
    assert.equal(lab.counters.registrations, before + 3);
  });

  it('429 forever: bounded — DPS_THROTTLED after retry.maxAttempts, naming the status', async () => {
    const before = lab.counters.registrations;
    const err = await failsWith('DPS_THROTTLED', { kind: 'throttle', retryAfterSeconds: 0 });
    assert.match(err.message, /429 3 times/);
    assert.equal(lab.counters.registrations, before + 3);
  });

  it('retry-after is honoured: 429 with retry-after 1 s waits about a second (plus at most 20 % jitter)', async () => {
    const started = Date.now();
    await provisionWith({ kind: 'throttle', times: 1, retryAfterSeconds: 1 });
    const took = Date.now() - started;
    assert.ok(took >= 1000 && took < 1600, `took ${took} ms`);
  });

  it('5xx forever: DPS_SERVER_ERROR (not DPS_THROTTLED) with the 5xx status, after retry.maxAttempts', async () => {
    const before = lab.counters.registrations;
    const err = await failsWith('DPS_SERVER_ERROR', { kind: 'server-error', status: 503 });
    assert.match(err.message, /503 3 times/);
    assert.match(err.findings[0].remediation, /Service Health/);
    assert.equal(lab.counters.registrations, before + 3);
  });

  it('status failed: DPS_REGISTRATION_FAILED with the DPS errorCode and message', async () => {
    const err = await failsWith('DPS_REGISTRATION_FAILED', {
      kind: 'failed',
      errorCode: 400209,
      errorMessage: 'Custom allocation failed',
    });
    assert.match(err.message, /400209/);
    assert.match(err.message, /Custom allocation failed/);
  });

  it('malformed JSON from DPS: DPS_MALFORMED_RESPONSE, no uncaught exception', async () => {
    let uncaught: unknown;
    const onUncaught = (e: unknown): void => {
      uncaught = e;
    };
    process.prependListener('uncaughtException', onUncaught);
    try {
      await failsWith('DPS_MALFORMED_RESPONSE', { kind: 'malformed-json' });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(uncaught, undefined);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });

  it('connection dropped after CONNACK once: retried on a new connection and succeeds', async () => {
    const before = lab.counters.connections.dps;
    const result = await provisionWith({ kind: 'drop-after-connack', times: 1 });
    assert.equal(result.assignedHub, lab.hub.host);
    assert.equal(lab.counters.connections.dps, before + 2);
  });

  it('a server certificate for another name: TLS_HOSTNAME_MISMATCH, before any MQTT packet', async () => {
    lab.setFault({ kind: 'wrong-san' });
    const before = lab.counters.registrations;
    const err = await failsWith('TLS_HOSTNAME_MISMATCH', undefined);
    assert.match(err.message, /lab-dps\.azure-devices-provisioning\.net/);
    assert.equal(lab.counters.registrations, before);
  });

  it('an expired server certificate: TLS_SERVER_CERT_EXPIRED', async () => {
    lab.setFault({ kind: 'expired-cert' });
    await failsWith('TLS_SERVER_CERT_EXPIRED', undefined);
  });

  it('a server chain the device does not trust (no lab CA given): TLS_UNTRUSTED_CHAIN', async () => {
    await failsWith('TLS_UNTRUSTED_CHAIN', undefined, { tls: {} });
  });
});
