import assert from 'node:assert/strict';
import { InvalidOptionError, provisionDevice } from '../../src/index';
import type { ProvisionOptions } from '../../src/index';

const good: ProvisionOptions = {
  provisioningHost: 'my-dps.azure-devices-provisioning.net',
  idScope: '0ne00000A1B',
  registrationId: 'device-1',
  auth: { symmetricKey: 'c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHM=' },
  network: { expectedCidrs: ['10.1.0.0/16'], dnsServers: ['127.0.0.1:1'] },
};

const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;

// The SDK would JSON.stringify these inside its state machine, where the throw is uncaught and kills the process.
const table: [string, unknown][] = [
  ['a BigInt', { serial: 10n }],
  ['a circular object', circular],
  ['a function', () => 1],
  ['a symbol', Symbol('x')],
];

describe('provision: a payload JSON cannot serialise is refused at the door', () => {
  for (const [what, payload] of table) {
    it(`${what} → InvalidOptionError naming payload`, async () => {
      await assert.rejects(provisionDevice({ ...good, payload }), (e: unknown) => {
        assert.ok(e instanceof InvalidOptionError, String(e));
        assert.equal(e.option, 'payload');
        return true;
      });
    });
  }

  it('a JSON-able payload passes validation (fails later, at DNS, not at the door)', async () => {
    await assert.rejects(
      provisionDevice({
        ...good,
        payload: { model: 'pi-4', n: [1, 2] },
        timeoutMs: 2000,
        network: { ...good.network, dnsTimeoutMs: 200 },
      }),
      (e: unknown) => {
        assert.ok(!(e instanceof InvalidOptionError), String(e));
        return true;
      },
    );
  });
});
