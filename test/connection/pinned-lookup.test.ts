import assert from 'node:assert/strict';
import { meetsMinVersion } from '../../src/connection/connector';
import { pinnedLookup } from '../../src/connection/pinned-lookup';

describe('connection: pinned lookup and TLS version policy (table-driven)', () => {
  const lookup = pinnedLookup('dps.example.azure-devices-provisioning.net', ['127.10.0.10', '::1']);
  const call = (host: string, options: object): Promise<unknown[]> =>
    new Promise((resolve, reject) =>
      (lookup as (...a: unknown[]) => void)(host, options, (err: Error | null, ...rest: unknown[]) =>
        err ? reject(err) : resolve(rest),
      ),
    );

  it('answers { all: true } with an array (Node 20 autoSelectFamily calls it that way)', async () => {
    assert.deepEqual(await call('dps.example.azure-devices-provisioning.net', { all: true }), [
      [
        { address: '127.10.0.10', family: 4 },
        { address: '::1', family: 6 },
      ],
    ]);
  });

  it('answers a single address and family otherwise, honouring family', async () => {
    assert.deepEqual(await call('dps.example.azure-devices-provisioning.net', {}), ['127.10.0.10', 4]);
    assert.deepEqual(await call('dps.example.azure-devices-provisioning.net', { family: 6 }), ['::1', 6]);
    assert.deepEqual(await call('DPS.example.azure-devices-provisioning.net', {}), ['127.10.0.10', 4]);
  });

  it('refuses any other name (it never falls back to DNS)', async () => {
    await assert.rejects(call('evil.example.net', {}), (e: NodeJS.ErrnoException) => e.code === 'ENOTFOUND');
  });

  const versions: [string | null, 'TLSv1.2' | 'TLSv1.3', boolean][] = [
    ['TLSv1.3', 'TLSv1.2', true],
    ['TLSv1.2', 'TLSv1.2', true],
    ['TLSv1.2', 'TLSv1.3', false],
    ['TLSv1.1', 'TLSv1.2', false],
    ['TLSv1', 'TLSv1.2', false],
    ['SSLv3', 'TLSv1.2', false],
    ['unknown', 'TLSv1.2', false],
    [null, 'TLSv1.2', false],
  ];
  for (const [negotiated, min, ok] of versions) {
    it(`${String(negotiated)} ${ok ? 'meets' : 'does not meet'} ${min}`, () =>
      assert.equal(meetsMinVersion(negotiated, min), ok));
  }
});
