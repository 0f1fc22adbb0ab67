// Item 13 of the hardening issue: options are read as own properties only, so a polluted Object.prototype (some other
// library's bug: `Object.prototype.policy = 'off'`) cannot switch enforcement off or add options the caller never gave.
import assert from 'node:assert/strict';
import { createHubClient, HubConnectionError, InvalidOptionError } from '../../src/index';
import { resolveNetworkOptions } from '../../src/endpoint/options';
import { resolveProvisionOptions } from '../../src/provision/options';
import type { ProvisionOptions } from '../../src/provision/types';

const proto = Object.prototype as Record<string, unknown>;

/** Runs `body` with `pollution` on Object.prototype, always removing it again. */
function polluted(pollution: Record<string, unknown>, body: () => void): void {
  const keys = Object.keys(pollution);
  for (const k of keys) Object.defineProperty(proto, k, { value: pollution[k], configurable: true, writable: true });
  try {
    body();
  } finally {
    for (const k of keys) delete proto[k];
  }
}

const key = Buffer.alloc(32, 7).toString('base64');
const options = (): ProvisionOptions => ({
  provisioningHost: 'lab-dps.azure-devices-provisioning.net',
  idScope: '0ne00000A1B',
  registrationId: 'dev-1',
  auth: { symmetricKey: key },
  network: { expectedCidrs: ['127.10.0.0/16'] },
});

describe('hardening (input): a polluted Object.prototype is never an option', () => {
  it("Object.prototype.policy = 'off' leaves verifyEndpoint's and provisionDevice's policy at enforce", () => {
    polluted({ policy: 'off' }, () => {
      assert.equal(resolveNetworkOptions({ expectedCidrs: ['127.10.0.0/16'] }).policy, 'enforce');
      assert.equal(resolveProvisionOptions(options()).network.policy, 'enforce');
    });
  });

  it('polluted dnsServers, expectedCidrs, cache, retry, tls, proxy, port and connector are all ignored', () => {
    polluted(
      {
        dnsServers: ['203.0.113.53'],
        expectedCidrs: ['0.0.0.0/0'],
        cache: { path: '/tmp/planted-cache.json' },
        maxAttempts: 100,
        minVersion: 'TLSv1.3',
        proxy: 'http://203.0.113.8:3128',
        port: 1,
        wsPort: 2,
        transport: 'mqtt-ws',
        forceReprovision: true,
        timeoutMs: 1,
        connector: { openTls() {}, openTlsInspect() {}, openTlsViaProxy() {}, openTcp() {}, openUdp() {} },
      },
      () => {
        const o = options();
        o.network = { policy: 'enforce', expectedCidrs: ['127.10.0.0/16'] };
        (o as { retry?: object }).retry = {};
        (o as { tls?: object }).tls = {};
        const r = resolveProvisionOptions(o);
        assert.deepEqual(r.network.dnsServers, []);
        assert.deepEqual(
          r.network.cidrs.map((c) => c.text),
          ['127.10.0.0/16'],
        );
        assert.equal(r.cachePath, undefined);
        assert.equal(r.retry.maxAttempts, 5);
        assert.equal(r.minVersion, 'TLSv1.2');
        assert.ok(!Object.prototype.hasOwnProperty.call(r, 'proxy'), 'no proxy');
        assert.equal(r.transport, 'mqtt');
        assert.equal(r.servicePort, 8883);
        assert.equal(r.forceReprovision, false);
        assert.equal(r.timeoutMs, 60_000);
        assert.notEqual(typeof (r.connector as unknown as Record<string, unknown>).openTls, 'undefined');
        assert.ok(!Object.prototype.hasOwnProperty.call(r, 'cache'));
      },
    );
  });

  it('Object.prototype.symmetricKey does not turn X.509 credentials into a symmetric key', () => {
    polluted({ symmetricKey: key }, () => {
      const o = { ...options(), auth: { cert: 'not a certificate', key: 'not a key' } } as ProvisionOptions;
      assert.throws(
        () => resolveProvisionOptions(o),
        (err: unknown) => err instanceof InvalidOptionError && /auth\.cert/.test(err.message),
      );
    });
  });

  it("createHubClient: Object.prototype.policy = 'off' still refuses a hub address outside the ranges, no socket", () => {
    const result = {
      assignedHub: 'lab-hub.azure-devices.net',
      deviceId: 'dev-1',
      registrationId: 'dev-1',
      transport: 'mqtt',
      fromCache: false,
      findings: [],
      hub: {
        host: 'lab-hub.azure-devices.net',
        role: 'hub',
        verdict: 'public',
        expectedCidrs: ['127.10.0.0/16'],
        addresses: [{ address: '203.0.113.7', family: 4, addressClass: 'public', inExpectedRange: true }],
        trace: [],
        findings: [],
      },
    };
    polluted({ policy: 'off' }, () => {
      assert.throws(
        () => createHubClient(result as never, { symmetricKey: key }),
        (err: unknown) => err instanceof HubConnectionError && err.code === 'HUB_UNRESOLVED',
      );
    });
  });
});
