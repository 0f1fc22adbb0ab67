// Issue 14 item 4: expectedCidrs that cover public space ('0.0.0.0/0', '::/0', halves adding up to everything, or a
// public /8) must not turn a public answer into "private-in-vnet": a public-class address is never in the VNET, is an
// error finding, and is never dialled under enforce. DNS answers 20.43.1.7: the proof is that no socket is opened.
import assert from 'node:assert/strict';
import { provisionDevice, ProvisioningError, verifyEndpoint } from '../../src/index';
import { isInCidrs, parseCidrs } from '../../src/endpoint/address';
import { startDnsServer, type DnsServer } from '../../src/lab/dns-server';
import { NETNS_NOTE, spyOnConnector } from '../support/provision-lab';

const HOST = 'wide-ranges.azure-devices-provisioning.net';
const PUBLIC_V4 = '20.43.1.7';
const PUBLIC_V6 = '2603:1030::7';

describe(`a public address is never "in the VNET", whatever the ranges say (issue 14 item 4; ${NETNS_NOTE})`, () => {
  let dns: DnsServer;
  before(async () => {
    dns = await startDnsServer({ zone: { [HOST]: { a: [PUBLIC_V4], aaaa: [PUBLIC_V6] } } });
  });
  after(() => dns.close());

  const wide: string[][] = [
    ['0.0.0.0/0', '::/0'],
    ['0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1'],
    ['20.0.0.0/8', '2603:1030::/32'],
    [PUBLIC_V4, PUBLIC_V6],
  ];
  for (const cidrs of wide) {
    it(`expectedCidrs ${JSON.stringify(cidrs)}: the public answers are outside, an error, and never dialled`, async () => {
      const network = { expectedCidrs: cidrs, dnsServers: [dns.endpoint] };
      assert.equal(isInCidrs(PUBLIC_V4, parseCidrs(cidrs, 'cidrs')), false);
      const report = await verifyEndpoint(HOST, network);
      assert.notEqual(report.verdict, 'private-in-vnet');
      assert.deepEqual(
        report.addresses.map((a) => [a.address, a.addressClass, a.inExpectedRange]),
        [
          [PUBLIC_V4, 'public', false],
          [PUBLIC_V6, 'public', false],
        ],
      );
      assert.ok(
        report.findings.some((f) => f.severity === 'error' && f.code === 'DNS_PUBLIC_ADDRESS'),
        report.findings.map((f) => f.code).join(','),
      );

      const spy = spyOnConnector();
      const err = await provisionDevice({
        provisioningHost: HOST,
        idScope: '0ne00000001',
        registrationId: 'wide-ranges',
        auth: { symmetricKey: Buffer.alloc(32, 2).toString('base64') },
        network,
        connector: spy.connector,
        timeoutMs: 5000,
      }).then(
        () => assert.fail('provisioned through a public address'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ProvisioningError, String(err));
      assert.equal(err.code, 'DNS_PUBLIC_ADDRESS');
      assert.deepEqual(spy.calls, [], 'no connection attempt');
    });
  }

  it('private and loopback addresses inside the ranges are still in range', () => {
    const cidrs = parseCidrs(['0.0.0.0/0', '::/0'], 'cidrs');
    for (const ip of ['10.1.0.4', '172.16.3.4', '192.168.1.1', '100.64.0.1', '127.10.0.4', 'fd00::4', '::1']) {
      assert.equal(isInCidrs(ip, cidrs), true, ip);
    }
  });
});
