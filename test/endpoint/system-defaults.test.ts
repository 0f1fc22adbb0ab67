import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { verifyEndpoint } from '../../src/endpoint';

// The defaults, for real: getaddrinfo and /etc/hosts. Only for `localhost`, which the hosts file answers, and only
// inside the test network namespace (npm test as root), where even a stray DNS query could not leave the machine.
describe('verifyEndpoint with the real system resolver and hosts file', function () {
  before(function () {
    const hosts = (() => {
      try {
        return readFileSync('/etc/hosts', 'utf8');
      } catch {
        return '';
      }
    })();
    if (process.env['DPL_TEST_NETNS'] !== '1' || !/^\s*127\.0\.0\.1\s+(.*\s)?localhost(\s|$)/m.test(hosts)) {
      console.log(
        '    SKIPPED: needs the loopback-only network namespace (npm test as root) and localhost in /etc/hosts',
      );
      this.skip();
    }
  });

  it('resolves localhost through getaddrinfo and reports that the answer came from /etc/hosts', async () => {
    const report = await verifyEndpoint('localhost', { expectedCidrs: ['127.0.0.0/8', '::1/128'] });
    assert.equal(report.trace[0]?.resolver, 'system');
    assert.equal(report.verdict, 'private-in-vnet');
    assert.ok(report.addresses.some((a) => a.address === '127.0.0.1' && a.addressClass === 'loopback'));
    assert.equal(report.trace[0]?.fromHostsFile, true);
    assert.deepEqual(
      report.findings.map((f) => f.code),
      ['DNS_HOSTS_FILE_OVERRIDE'],
    );
    assert.match(report.findings[0]?.message ?? '', /\/etc\/hosts maps localhost/);
  });
});
