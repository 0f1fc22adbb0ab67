// The two lab pieces the named scenarios added: the tls-stall fault and the rebind-filter DNS view.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import * as dnsPacket from 'dns-packet';
import { startLab } from '../../src/lab/lab';
import type { LabHandle } from '../../src/lab/types';
import { hasDnsmasq, startDnsmasq } from '../endpoint/dnsmasq-peer';

/** One raw query: the rcode (0 = NOERROR), then the answer section as `name TYPE data` lines. */
async function rawAnswer(endpoint: string, name: string, type: 'A' | 'AAAA' | 'CNAME'): Promise<string[]> {
  const [address = '', port = ''] = endpoint.split(':');
  const socket = dgram.createSocket('udp4');
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = new Promise<Buffer>((resolve, reject) => {
      socket.once('message', resolve);
      timer = setTimeout(() => reject(new Error(`${endpoint} did not answer ${type} ${name}`)), 5000);
    });
    const query = { type: 'query' as const, id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] };
    socket.send(dnsPacket.encode(query), Number(port), address);
    const packet = dnsPacket.decode(await reply);
    return [
      `rcode ${(packet.flags ?? 0) & 0xf}`,
      ...(packet.answers ?? []).map((a) => `${a.name} ${a.type} ${'data' in a ? String(a.data) : ''}`),
    ];
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}

/** How a TLS attempt ended: the handshake completed, or TCP connected and nothing came back within `waitMs`. */
function handshake(lab: LabHandle, address: string, port: number, host: string, waitMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let tcp = false;
    const socket = tls.connect({ host: address, port, servername: host, ca: lab.caPem });
    const done = (outcome: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    // a stalled handshake is permanent: waiting longer never changes the outcome, so the margin is not a race
    const timer = setTimeout(() => done(tcp ? 'tcp-only' : 'no-tcp'), waitMs);
    socket.once('connect', () => (tcp = true));
    socket.once('secureConnect', () => done('tls'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(`error ${err.code ?? err.message}`));
  });
}

describe('lab tls-stall fault and rebind-filter view', function () {
  this.timeout(20_000);
  let lab: LabHandle;
  before(async () => {
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  });
  after(() => lab?.close());
  afterEach(() => {
    lab.setFault(undefined);
    lab.setDnsView('private', 'dps');
    lab.setDnsView('private', 'hub');
  });

  it('tls-stall: DPS accepts TCP on the MQTT and WebSocket ports and never answers TLS; the hub is untouched', async () => {
    lab.setFault({ kind: 'tls-stall' });
    const before = lab.counters.connections.dps;
    assert.equal(await handshake(lab, lab.dps.address, lab.dps.port, lab.dps.host), 'tcp-only');
    assert.equal(await handshake(lab, lab.dps.address, lab.dps.wsPort, lab.dps.host), 'tcp-only');
    assert.equal(lab.counters.connections.dps, before + 2, 'the held connections are counted as accepted');
    assert.equal(await handshake(lab, lab.hub.address, lab.hub.port, lab.hub.host), 'tls');
  });

  it('tls-stall with target hub stalls the hub (private and public twin) and leaves DPS alone', async () => {
    lab.setFault({ kind: 'tls-stall', target: 'hub' });
    assert.equal(await handshake(lab, lab.hub.address, lab.hub.wsPort, lab.hub.host), 'tcp-only');
    assert.equal(await handshake(lab, lab.hub.publicAddress, lab.hub.publicPort, lab.hub.host), 'tcp-only');
    assert.equal(await handshake(lab, lab.dps.address, lab.dps.port, lab.dps.host), 'tls');
  });

  it('clearing the faults serves TLS again from the next connection on', async () => {
    lab.setFault({ kind: 'tls-stall' });
    assert.equal(await handshake(lab, lab.dps.address, lab.dps.port, lab.dps.host), 'tcp-only');
    lab.setFault(undefined);
    assert.equal(await handshake(lab, lab.dps.address, lab.dps.port, lab.dps.host), 'tls');
  });

  it('close() releases the connections a tls-stall holds: the held client sees its socket closed', async () => {
    const own = await startLab({ mqttPort: 0, wsPort: 0 });
    own.setFault({ kind: 'tls-stall' });
    const client = net.connect(own.dps.port, own.dps.address);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', () => undefined); // a reset from the closing lab is fine; only the close matters
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.write('\x16\x03\x01 not really a ClientHello');
    await own.close();
    await closed;
  });

  it('tls-stall cannot be scoped to one client: it acts before the client says who it is', () => {
    assert.throws(() => lab.setFault({ kind: 'tls-stall' }, { registrationId: 'dev-1' }), {
      code: 'ERR_INVALID_OPTION',
      message: /scope\.registrationId/,
    });
    assert.throws(() => lab.setFault({ kind: 'tls-stall', target: 'edge' as 'hub' }), {
      code: 'ERR_INVALID_OPTION',
      message: /fault\.target/,
    });
  });

  it('rebind-filter: the privatelink CNAME stays, the privatelink name answers NOERROR with no address', async () => {
    lab.setDnsView('rebind-filter');
    const r = new dns.promises.Resolver({ timeout: 1000, tries: 2 });
    r.setServers([lab.dnsServer]);
    assert.deepEqual(await r.resolveCname(lab.dps.host), [lab.dps.privatelinkHost]);
    // ENODATA is NOERROR without records; a missing record (privatelink-missing) would be ENOTFOUND (NXDOMAIN)
    await assert.rejects(r.resolve4(lab.dps.privatelinkHost), { code: 'ENODATA' });
    const viaServiceName = await r.resolve4(lab.dps.host).catch((err: NodeJS.ErrnoException) => err.code);
    assert.ok(viaServiceName === 'ENODATA' || (Array.isArray(viaServiceName) && viaServiceName.length === 0));
    assert.deepEqual(await r.resolve4(lab.hub.host), [lab.hub.address]);
  });

  it('rebind-filter answers every query as dnsmasq --stop-dns-rebind does in front of the private view', async function () {
    if (!hasDnsmasq()) return this.skip();
    // the real filter, forwarding to the lab in its healthy private view (loopback counts as private for dnsmasq)
    const [address, port] = lab.dnsServer.split(':');
    const dnsmasq = await startDnsmasq('127.0.0.1', [
      `--server=${address}#${port}`,
      '--stop-dns-rebind',
      '--cache-size=0',
    ]);
    try {
      const queries = [
        [lab.dps.host, 'A'],
        [lab.dps.privatelinkHost, 'A'],
        [lab.dps.host, 'AAAA'],
        [lab.dps.host, 'CNAME'],
      ] as const;
      const filtered = [];
      for (const [name, type] of queries) filtered.push(await rawAnswer(dnsmasq.endpoint, name, type));
      lab.setDnsView('rebind-filter');
      const staged = [];
      for (const [name, type] of queries) staged.push(await rawAnswer(lab.dnsServer, name, type));
      assert.deepEqual(staged, filtered);
      // dnsmasq drops the whole A answer, the CNAME that led to the private address included
      assert.deepEqual(staged[0], ['rcode 0']);
    } finally {
      await dnsmasq.stop();
    }
  });
});
