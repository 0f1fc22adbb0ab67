// Several DNS servers: like the device's own resolver, the answer comes from a server that answers; a dead one
// (a UDP socket that never replies) neither fails the lookup nor holds it for its whole timeout.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { provisionDevice, verifyEndpoint, type LabHandle } from '../../src/index';
import { startDnsServer, type DnsServer } from '../../src/lab/dns-server';
import { activeHandles, optionsFor, settleHandles, startTestLab } from '../support/provision-lab';

const HOST = 'mydps.azure-devices-provisioning.net';
const PL = 'mydps.privatelink.azure-devices-provisioning.net';
const NO_HOSTS = { hostsFile: '/nonexistent/hosts' };
/** Long, so "well under the timeout" is a wide margin on a loaded machine. */
const DNS_TIMEOUT_MS = 6000;
/** What a dead server may cost at most: the lookup waits a short grace for it, never its timeout. */
const WELL_UNDER_MS = DNS_TIMEOUT_MS / 3;

/** A UDP socket on loopback that receives queries and never answers: a dead DNS server. */
async function deadServer(): Promise<{ endpoint: string; queries: () => number; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  let queries = 0;
  socket.on('message', () => queries++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    endpoint: `127.0.0.1:${socket.address().port}`,
    queries: () => queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

describe('several DNS servers: the first that answers, a dead one never waited for', function () {
  this.timeout(30_000);
  let good: DnsServer;
  let dead: Awaited<ReturnType<typeof deadServer>>;
  before(async () => {
    good = await startDnsServer({ zone: { [HOST]: { cname: PL }, [PL]: { a: ['10.1.2.4'] } } });
    dead = await deadServer();
  });
  after(async () => {
    await good.close();
    await dead.close();
  });

  const network = (dnsServers: string[]): { expectedCidrs: string[]; dnsServers: string[]; dnsTimeoutMs: number } => ({
    expectedCidrs: ['10.1.0.0/16'],
    dnsServers,
    dnsTimeoutMs: DNS_TIMEOUT_MS,
  });

  async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await run();
    return { value, ms: performance.now() - started };
  }

  it('a dead first server: the second answers, the report is private, the dead one a warning', async () => {
    const before = dead.queries();
    const { value: report, ms } = await timed(() =>
      verifyEndpoint(HOST, network([dead.endpoint, good.endpoint]), NO_HOSTS),
    );
    assert.ok(dead.queries() > before, 'the dead server was asked');
    assert.equal(report.verdict, 'private-in-vnet');
    assert.deepEqual(
      report.addresses.map((a) => a.address),
      ['10.1.2.4'],
    );
    assert.equal(report.trace[0]?.resolver, good.endpoint, 'the answering server is the one used');
    assert.deepEqual(
      report.trace.map((t) => t.resolver),
      [good.endpoint, dead.endpoint],
    );
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.severity]),
      [['DNS_TIMEOUT', 'warning']],
    );
    const finding = report.findings[0];
    assert.equal(finding?.evidence['resolver'], dead.endpoint);
    assert.match(finding?.message ?? '', new RegExp(`${good.endpoint.replace(/\./g, '\\.')} answered`));
    assert.ok(ms < WELL_UNDER_MS, `took ${Math.round(ms)} ms with a ${DNS_TIMEOUT_MS} ms DNS timeout`);
  });

  it('a dead second server costs well under its timeout, and its socket is closed', async () => {
    // Once the test is under way, so mocha's own timeout timer is in the baseline.
    await new Promise((resolve) => setImmediate(resolve));
    const baseline = activeHandles();
    const { value: report, ms } = await timed(() =>
      verifyEndpoint(HOST, network([good.endpoint, dead.endpoint]), NO_HOSTS),
    );
    assert.equal(report.verdict, 'private-in-vnet');
    assert.equal(report.trace[0]?.resolver, good.endpoint);
    assert.equal(report.trace[1]?.error, 'timeout');
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.severity]),
      [['DNS_TIMEOUT', 'warning']],
    );
    assert.ok(ms < WELL_UNDER_MS, `took ${Math.round(ms)} ms with a ${DNS_TIMEOUT_MS} ms DNS timeout`);
    assert.deepEqual(await settleHandles(baseline), baseline, 'no socket or timer left waiting for the dead server');
  });

  it('the first server wins when both answer, and a disagreement is still reported', async () => {
    const other = await startDnsServer({ zone: { [HOST]: { cname: PL }, [PL]: { a: ['10.1.9.9'] } } });
    try {
      for (const [first, second] of [
        [good, other],
        [other, good],
      ] as const) {
        const report = await verifyEndpoint(HOST, network([first.endpoint, second.endpoint]), NO_HOSTS);
        assert.equal(report.trace[0]?.resolver, first.endpoint);
        assert.deepEqual(
          report.findings.map((f) => [f.code, f.severity, f.evidence['resolver']]),
          [['DNS_RESOLVERS_DISAGREE', 'warning', second.endpoint]],
        );
      }
    } finally {
      await other.close();
    }
  });

  it('every server dead: DNS_TIMEOUT from the first, as before', async () => {
    const dead2 = await deadServer();
    try {
      const report = await verifyEndpoint(
        HOST,
        { ...network([dead.endpoint, dead2.endpoint]), dnsTimeoutMs: 400 },
        NO_HOSTS,
      );
      assert.equal(report.verdict, 'unresolved');
      assert.equal(report.trace[0]?.resolver, dead.endpoint);
      assert.deepEqual(
        report.findings.map((f) => [f.code, f.severity]),
        [
          ['DNS_TIMEOUT', 'error'],
          ['DNS_TIMEOUT', 'warning'],
        ],
      );
    } finally {
      await dead2.close();
    }
  });

  describe('provisioning against the lab', () => {
    let lab: LabHandle;
    before(async () => {
      lab = await startTestLab();
    });
    after(() => lab.close());

    for (const order of ['dead first', 'dead second'] as const) {
      it(`provisions with the ${order === 'dead first' ? 'first' : 'second'} DNS server dead, well under its timeout`, async () => {
        const device = await lab.createDevice(`failover-${order.replace(' ', '-')}`, 'symmetric-key');
        const servers = order === 'dead first' ? [dead.endpoint, lab.dnsServer] : [lab.dnsServer, dead.endpoint];
        const options = optionsFor(lab, device);
        const { value: result, ms } = await timed(() =>
          provisionDevice({
            ...options,
            network: { ...options.network, dnsServers: servers, dnsTimeoutMs: DNS_TIMEOUT_MS },
            timeoutMs: 20_000,
          }),
        );
        assert.equal(result.assignedHub, lab.hub.host);
        assert.equal(result.dps.trace[0]?.resolver, lab.dnsServer);
        assert.equal(result.hub.trace[0]?.resolver, lab.dnsServer);
        // DPS and the hub are each resolved once: a dead server paid in full would cost 2 × DNS_TIMEOUT_MS.
        assert.ok(
          ms < DNS_TIMEOUT_MS,
          `provisioning took ${Math.round(ms)} ms with a ${DNS_TIMEOUT_MS} ms DNS timeout`,
        );
      });
    }
  });
});
