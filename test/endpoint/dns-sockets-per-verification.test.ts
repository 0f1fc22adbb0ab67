// Sockets per verification: one UDP socket per DNS server carries both the A and the AAAA query (matched by query
// id), and every one is closed when the verification ends, also when a dead server is left behind after the grace.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { verifyEndpoint } from '../../src/endpoint';
import { startDnsServer, type DnsServer } from '../../src/lab/dns-server';
import { systemSockets, type Sockets } from '../../src/support/sockets';

const HOST = 'mydps.azure-devices-provisioning.net';
const PL = 'mydps.privatelink.azure-devices-provisioning.net';
const NO_HOSTS = { hostsFile: '/nonexistent/hosts' };

/** Real sockets that count how many were opened and how many closed. */
function countingSockets(): Sockets & { opened: number; closed: number } {
  const counts = { opened: 0, closed: 0 };
  return Object.assign(counts, {
    openTcp: systemSockets.openTcp,
    openUdp: (address: string): dgram.Socket => {
      const socket = systemSockets.openUdp(address);
      counts.opened++;
      socket.on('close', () => counts.closed++);
      return socket;
    },
  });
}

describe('DNS sockets per verification', function () {
  this.timeout(30_000);
  let good: DnsServer;
  let dead: dgram.Socket;
  before(async () => {
    good = await startDnsServer({ zone: { [HOST]: { cname: PL }, [PL]: { a: ['10.1.2.4'] } } });
    dead = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => dead.bind(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await good.close();
    await new Promise<void>((resolve) => dead.close(() => resolve()));
  });

  it('one server: one socket, two queries (A and AAAA), closed at the end', async () => {
    const sockets = countingSockets();
    const queriesBefore = good.queryCount();
    const report = await verifyEndpoint(
      HOST,
      { expectedCidrs: ['10.1.0.0/16'], dnsServers: [good.endpoint] },
      { ...NO_HOSTS, sockets },
    );
    assert.equal(report.verdict, 'private-in-vnet');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([sockets.opened, sockets.closed, good.queryCount() - queriesBefore], [1, 1, 2]);
  });

  it('a live and a dead server: one socket each, both closed once the grace has passed', async () => {
    const sockets = countingSockets();
    const report = await verifyEndpoint(
      HOST,
      {
        expectedCidrs: ['10.1.0.0/16'],
        dnsServers: [good.endpoint, `127.0.0.1:${dead.address().port}`],
        dnsTimeoutMs: 20_000,
      },
      { ...NO_HOSTS, sockets },
    );
    assert.equal(report.verdict, 'private-in-vnet');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sockets.opened, 2);
    assert.equal(sockets.closed, 2, "the dead server's socket is closed, not left for its 20 s timeout");
  });
});
