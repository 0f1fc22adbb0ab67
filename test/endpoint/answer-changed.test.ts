import assert from 'node:assert/strict';
import { startDnsServer } from '../../src/lab/dns-server';
import { answerChanged, verifyEndpoint } from '../../src/endpoint';

const HOST = 'mydps.azure-devices-provisioning.net';
const PL = 'mydps.privatelink.azure-devices-provisioning.net';

describe('answerChanged', () => {
  it('reports DNS_ANSWER_CHANGED when the same server answers differently the second time (rebinding)', async () => {
    const lab = await startDnsServer({ zone: { [HOST]: { cname: PL }, [PL]: { a: ['10.1.2.4'] } } });
    try {
      const network = { expectedCidrs: ['10.1.0.0/16'], dnsServers: [lab.endpoint] };
      const first = await verifyEndpoint(HOST, network, { hostsFile: '/nonexistent/hosts' });
      const same = await verifyEndpoint(HOST, network, { hostsFile: '/nonexistent/hosts' });
      assert.equal(answerChanged(first, same), undefined);
      lab.setRecord(PL, { cname: 'x.cloudapp.net' });
      lab.setRecord('x.cloudapp.net', { a: ['20.61.4.5'] });
      const second = await verifyEndpoint(HOST, network, { hostsFile: '/nonexistent/hosts' });
      const finding = answerChanged(first, second);
      assert.equal(finding?.code, 'DNS_ANSWER_CHANGED');
      assert.equal(finding?.severity, 'error');
      assert.deepEqual(finding?.evidence['before'], ['10.1.2.4']);
      assert.deepEqual(finding?.evidence['after'], ['20.61.4.5']);
      assert.match(finding?.message ?? '', /10\.1\.2\.4.*20\.61\.4\.5/);
    } finally {
      await lab.close();
    }
  });
});
