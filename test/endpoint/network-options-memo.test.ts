import assert from 'node:assert/strict';
import { InvalidOptionError } from '../../src/errors';
import { resolveNetworkOptions } from '../../src/endpoint/options';

/**
 * A gateway passes the same network options with every device: they are parsed once and shared by value. The memo
 * must never let an invalid value through because a valid one looked the same, nor keep a stale answer.
 */
describe('endpoint: network options are resolved once per distinct value', () => {
  const valid = () => ({ expectedCidrs: ['10.1.0.0/16', 'fd00:1::/64'], dnsServers: ['10.1.0.4:5353'] });

  it('equal options (new objects each time) resolve to the same frozen result', () => {
    const a = resolveNetworkOptions(valid());
    const b = resolveNetworkOptions(valid());
    assert.equal(a, b);
    assert.ok(Object.isFrozen(a));
    assert.deepEqual(
      a.cidrs.map((c) => c.text),
      ['10.1.0.0/16', 'fd00:1::/64'],
    );
  });

  it('any difference in ranges, servers, policy or timeout gives its own result', () => {
    const base = resolveNetworkOptions(valid());
    const variants = [
      { ...valid(), expectedCidrs: ['10.1.0.0/16'] },
      { ...valid(), expectedCidrs: ['10.1.0.0/16,fd00:1::/64'] },
      { ...valid(), dnsServers: ['10.1.0.4'] },
      { ...valid(), dnsServers: undefined },
      { ...valid(), policy: 'warn' as const },
      { ...valid(), dnsTimeoutMs: 500 },
    ];
    for (const v of variants) {
      if (v.expectedCidrs[0] === '10.1.0.0/16,fd00:1::/64') {
        assert.throws(() => resolveNetworkOptions(v), InvalidOptionError);
        continue;
      }
      const r = resolveNetworkOptions(v);
      assert.notEqual(r, base, JSON.stringify(v));
    }
    assert.equal(resolveNetworkOptions({ ...valid(), dnsTimeoutMs: 500 }).dnsTimeoutMs, 500);
    assert.equal(resolveNetworkOptions({ ...valid(), policy: 'warn' }).policy, 'warn');
  });

  it('an invalid value is refused every time, also after a valid one that serialises alike', () => {
    resolveNetworkOptions(valid());
    for (const dnsTimeoutMs of [Number.NaN, Number.POSITIVE_INFINITY, 0, -1]) {
      for (let i = 0; i < 2; i++) {
        assert.throws(
          () => resolveNetworkOptions({ ...valid(), dnsTimeoutMs }),
          (e: unknown) => e instanceof InvalidOptionError && e.option === 'network.dnsTimeoutMs',
        );
      }
    }
    assert.throws(
      () => resolveNetworkOptions({ expectedCidrs: ['10.1.0.0/33'] }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'network.expectedCidrs[0]',
    );
    assert.throws(
      () => resolveNetworkOptions({ expectedCidrs: ['10.1.0.0/33'] }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'network.expectedCidrs[0]',
    );
  });
});
