import assert from 'node:assert/strict';
import net from 'node:net';
import { InvalidOptionError, probeTls } from '../../src/index';
import type { ConnectTarget } from '../../src/index';

const good: ConnectTarget = {
  host: 'lab-dps.azure-devices-provisioning.net',
  addresses: ['127.0.0.1'],
  port: 8883,
  minVersion: 'TLSv1.2',
};

describe('probeTls checks its target at the door', () => {
  const bad: [string, Partial<ConnectTarget> | undefined, string][] = [
    ['no target', undefined, 'target'],
    ['an empty host', { host: '' }, 'target.host'],
    ['no addresses', { addresses: [] }, 'target.addresses'],
    ['a name instead of an address', { addresses: ['lab-dps.azure-devices-provisioning.net'] }, 'target.addresses'],
    ['port 70000', { port: 70000 }, 'target.port'],
    ['no minVersion', { minVersion: undefined as never }, 'target.minVersion'],
    ['TLS 1.0 as minimum', { minVersion: 'TLSv1' as never }, 'target.minVersion'],
  ];
  for (const [what, change, option] of bad) {
    it(`${what}: InvalidOptionError naming ${option}, no socket`, async () => {
      const target = change === undefined ? (undefined as unknown as ConnectTarget) : { ...good, ...change };
      await assert.rejects(probeTls(target), (err: InvalidOptionError) => {
        assert.ok(err instanceof InvalidOptionError);
        assert.equal(err.code, 'ERR_INVALID_OPTION');
        assert.equal(err.option, option);
        return true;
      });
    });
  }

  it('a proxy that accepts and never answers is PROXY_UNREACHABLE naming the proxy, not the service address', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const result = await probeTls(
        { ...good, addresses: [], proxy: { address: '127.0.0.1', port } },
        { timeoutMs: 300, kind: 'mqtt-ws' },
      );
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.failure.finding.code, 'PROXY_UNREACHABLE');
      assert.equal(result.failure.address, `127.0.0.1:${port}`);
      assert.match(result.failure.finding.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
