// dps-check opens no socket of its own: every TCP, TLS and UDP probe goes through src/connection's connector, the
// seam tests spy on (the same technique as test/connection/pins-verified-address.test.ts). Against the lab, in process.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dpsCheck } from '../../src/checks/main';
import { createConnector, type Connector } from '../../src/connection/connector';
import { isInCidrs, parseCidrs } from '../../src/endpoint/address';
import { startLab } from '../../src/lab/lab';
import type { LabHandle } from '../../src/lab/types';
import { put, tempDir } from './fixtures';
import { startSntpServer, type SntpServer } from './sntp-server';

type Call = { method: string; address: string; port?: number; host?: string };

/** A connector that records each call and then opens the socket for real; passed in through CliIo.connector. */
function spyConnector(): { calls: Call[]; connector: Connector } {
  const calls: Call[] = [];
  const real = createConnector();
  const connector: Connector = {
    openTcp: (address, port) => (calls.push({ method: 'openTcp', address, port }), real.openTcp(address, port)),
    openUdp: (address) => (calls.push({ method: 'openUdp', address }), real.openUdp(address)),
    openTlsInspect: (...a) => (
      calls.push({ method: 'openTlsInspect', address: a[0].addresses.join(','), port: a[0].port, host: a[0].host }),
      real.openTlsInspect(...a)
    ),
    openTls: (...a) => (
      calls.push({ method: 'openTls', address: a[0].addresses.join(','), port: a[0].port, host: a[0].host }),
      real.openTls(...a)
    ),
    openTlsViaProxy: (...a) => (
      calls.push({ method: 'openTlsViaProxy', address: a[0].proxy.address }),
      real.openTlsViaProxy(...a)
    ),
  };
  return { calls, connector };
}

describe('dps-check probes go through the connector', function () {
  this.timeout(30_000);
  let lab: LabHandle;
  let ntp: SntpServer;
  let args: string[];

  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0 });
    ntp = await startSntpServer();
    const dir = tempDir('dps-check-seam-');
    args = [
      '--host',
      lab.dps.host,
      '--dns-server',
      lab.dnsServer,
      '--expect-cidr',
      lab.vnetCidrs[0] as string,
      '--ca',
      put(dir, 'ca.pem', lab.caPem),
      '--port',
      String(lab.dps.port),
      '--ws-port',
      String(lab.dps.wsPort),
      '--ntp-server',
      ntp.endpoint,
      '--timeout-ms',
      '3000',
      '--json',
    ];
  });
  after(async () => {
    await lab?.close();
    await ntp?.close();
  });

  it('every TCP, TLS and SNTP socket of a healthy run is opened by the connector, to verified addresses only', async () => {
    const spy = spyConnector();
    let out = '';
    const code = await dpsCheck(args, {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => true },
      env: {},
      connector: spy.connector,
    });
    assert.equal(code, 0, out);
    const byMethod = (m: string): Call[] => spy.calls.filter((c) => c.method === m);
    assert.deepEqual(
      byMethod('openTcp')
        .map((c) => c.port)
        .sort(),
      [lab.dps.port, lab.dps.wsPort].sort(),
    );
    assert.deepEqual(
      byMethod('openTlsInspect')
        .map((c) => c.port)
        .sort(),
      [lab.dps.port, lab.dps.wsPort].sort(),
    );
    assert.ok(byMethod('openTlsInspect').every((c) => c.host === lab.dps.host && c.address === lab.dps.address));
    // UDP: the DNS queries to the lab's DNS server, and one SNTP query.
    assert.deepEqual(
      [...new Set(byMethod('openUdp').map((c) => c.address))].sort(),
      [lab.dnsServer.split(':')[0], '127.0.0.1'].sort(),
    );
    assert.equal(byMethod('openUdp').filter((c) => c.address === '127.0.0.1').length, 1);
    for (const c of [...byMethod('openTcp'), ...byMethod('openTlsInspect')])
      assert.ok(
        isInCidrs(c.address, parseCidrs(lab.vnetCidrs, 'vnet')),
        `${c.method} dialled ${c.address} outside the VNET`,
      );
    assert.equal(byMethod('openTls').length + byMethod('openTlsViaProxy').length, 0);
  });

  it('a run that refuses the public answer opens no socket at all', async () => {
    lab.setDnsView('public', 'dps');
    const spy = spyConnector();
    try {
      const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, connector: spy.connector };
      const code = await dpsCheck(args, io);
      assert.equal(code, 1);
    } finally {
      lab.setDnsView('private', 'dps');
    }
    // Only the DNS queries (and the SNTP query, which needs no DPS address) left the process.
    assert.deepEqual(
      spy.calls.filter((c) => c.method !== 'openUdp'),
      [],
    );
    assert.ok(spy.calls.some((c) => c.method === 'openUdp' && c.address === lab.dnsServer.split(':')[0]));
  });

  it('no file of src/checks imports node:net, node:tls or node:dgram (sockets live in src/connection)', () => {
    const dir = path.join(__dirname, '..', '..', 'src', 'checks');
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .filter((f) =>
        /from ['"](node:)?(net|tls|dgram)['"]|require\(['"](node:)?(net|tls|dgram)['"]\)/.test(
          readFileSync(path.join(dir, f), 'utf8'),
        ),
      );
    assert.deepEqual(offenders, []);
  });
});
