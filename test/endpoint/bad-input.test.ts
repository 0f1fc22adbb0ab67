import assert from 'node:assert/strict';
import { connectableAddresses, verifyEndpoint, type NetworkOptions } from '../../src/endpoint';
import { InvalidOptionError } from '../../src/errors';

const lookupNever = async (): Promise<never> => {
  throw new Error('must not resolve for bad input');
};

describe('verifyEndpoint refuses bad input with InvalidOptionError naming the value', () => {
  const hosts: [unknown, RegExp][] = [
    ['', /Invalid host: expected a host name/],
    ['https://mydps.azure-devices-provisioning.net', /is a URL/],
    ['mydps.azure-devices-provisioning.net:8883', /not a valid DNS name/],
    ['my dps.azure-devices-provisioning.net', /not a valid DNS name/],
    ['-bad.azure-devices-provisioning.net', /not a valid DNS name/],
    ['a..b', /not a valid DNS name/],
    [`${'a'.repeat(64)}.net`, /not a valid DNS name/],
    [undefined, /expected a host name, got undefined/],
    [42, /got number 42/],
  ];
  for (const [host, message] of hosts) {
    it(`host ${JSON.stringify(host)?.slice(0, 40)}`, async () => {
      await assert.rejects(
        verifyEndpoint(host as string, { expectedCidrs: ['10.1.0.0/16'] }, { systemLookup: lookupNever }),
        (err: unknown) => {
          assert.ok(err instanceof InvalidOptionError);
          assert.equal(err.option, 'host');
          assert.match(err.message, message);
          assert.match(err.message, /azure-devices-provisioning\.net'/);
          return true;
        },
      );
    });
  }

  const networks: [unknown, string, RegExp][] = [
    [undefined, 'network', /expected an object/],
    [{}, 'network.expectedCidrs', /expected an array/],
    [{ expectedCidrs: [] }, 'network.expectedCidrs', /'enforce' policy would refuse every address/],
    [{ expectedCidrs: ['10.1.0.0/16', '300.1.0.0/16'] }, 'network.expectedCidrs[1]', /"300\.1\.0\.0\/16"/],
    [
      { expectedCidrs: ['10.1.0.0/16'], dnsServers: ['10.1.0.4', 'dns.corp'] },
      'network.dnsServers[1]',
      /"dns\.corp" is not an IP address/,
    ],
    [{ expectedCidrs: ['10.1.0.0/16'], dnsServers: '10.1.0.4' }, 'network.dnsServers', /expected an array/],
    [{ expectedCidrs: ['10.1.0.0/16'], policy: 'strict' }, 'network.policy', /"strict" is not a policy/],
    [{ expectedCidrs: ['10.1.0.0/16'], dnsTimeoutMs: 0 }, 'network.dnsTimeoutMs', /number 0 is not a timeout/],
    [{ expectedCidrs: ['10.1.0.0/16'], dnsTimeoutMs: Number.NaN }, 'network.dnsTimeoutMs', /not a timeout/],
  ];
  for (const [network, option, message] of networks) {
    it(`${option}: ${message.source}`, async () => {
      await assert.rejects(
        verifyEndpoint('mydps.azure-devices-provisioning.net', network as NetworkOptions, {
          systemLookup: lookupNever,
        }),
        (err: unknown) => err instanceof InvalidOptionError && err.option === option && message.test(err.message),
      );
    });
  }

  it('options.role and options.signal are checked too', async () => {
    const net = { expectedCidrs: ['10.1.0.0/16'] };
    await assert.rejects(verifyEndpoint('a.example', net, { role: 'edge' as 'dps' }), { option: 'options.role' });
    await assert.rejects(verifyEndpoint('a.example', net, { signal: {} as AbortSignal }), { option: 'options.signal' });
  });

  it("never mutates the caller's network options", async () => {
    const network = Object.freeze({
      expectedCidrs: Object.freeze(['10.1.0.0/16']) as string[],
      policy: 'warn' as const,
    });
    const report = await verifyEndpoint('mydps.azure-devices-provisioning.net', network, {
      hostsFile: '/nonexistent/hosts',
      systemLookup: async () => [{ address: '10.1.2.4', family: 4 }],
    });
    assert.equal(report.policy, 'warn');
    assert.deepEqual(network, { expectedCidrs: ['10.1.0.0/16'], policy: 'warn' });
  });
});

describe('connectableAddresses', () => {
  it('enforce keeps only addresses in the expected ranges; warn and off keep all, in answer order', async () => {
    const report = await verifyEndpoint(
      'mydps.azure-devices-provisioning.net',
      { expectedCidrs: ['10.1.0.0/16'], policy: 'warn' },
      {
        hostsFile: '/nonexistent/hosts',
        systemLookup: async () => [
          { address: '20.61.4.5', family: 4 },
          { address: '10.1.2.4', family: 4 },
        ],
      },
    );
    assert.equal(report.verdict, 'mixed');
    assert.deepEqual(
      connectableAddresses(report, 'enforce').map((a) => a.address),
      ['10.1.2.4'],
    );
    assert.deepEqual(
      connectableAddresses(report, 'warn').map((a) => a.address),
      ['20.61.4.5', '10.1.2.4'],
    );
    assert.deepEqual(
      connectableAddresses(report, 'off').map((a) => a.address),
      ['20.61.4.5', '10.1.2.4'],
    );
    assert.throws(() => connectableAddresses(report, 'strict' as 'off'), InvalidOptionError);
  });
});
