// ECONNREFUSED (something answered and refused) and silence (nothing answered) are different faults with different
// fixes: TCP_REFUSED and TCP_UNREACHABLE, in dps-check's TCP checks and in the library's connection errors.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { dpsTcpMqtt } from '../../src/checks/tcp-reach';
import type { CheckContext } from '../../src/checks/types';
import { loadConfig } from '../../src/config/load';
import { probeTls } from '../../src/connection/probe';
import { toAddressInfo } from '../../src/endpoint/verify';
import { parseCidrs } from '../../src/endpoint/address';
import type { EndpointReport } from '../../src/endpoint/types';

const HOST = 'refused-dps.azure-devices-provisioning.net';
const CIDRS = ['127.10.7.0/24'];

/** A port on `address` where nothing listens (bound once, then closed): a connection there is refused. */
async function closedPort(address: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A listener whose accept queue is full (see fixtures/full-backlog.py): a new connection there meets silence. */
async function silentPort(address: string): Promise<{ port: number; close(): void }> {
  const child: ChildProcess = spawn('python3', [path.join(__dirname, 'fixtures', 'full-backlog.py'), address], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  // The one connection the queue holds; every later SYN is dropped.
  const filler = net.connect(port, address);
  filler.on('error', () => undefined);
  await new Promise<void>((resolve) => filler.once('connect', () => resolve()));
  return {
    port,
    close: () => {
      filler.destroy();
      child.stdin?.end();
      child.kill();
    },
  };
}

function report(addresses: string[]): EndpointReport {
  const cidrs = parseCidrs(CIDRS, 'expectedCidrs');
  return {
    host: HOST,
    role: 'dps',
    verdict: 'private-in-vnet',
    addresses: addresses.map((a) => toAddressInfo(a, cidrs)),
    trace: [],
    findings: [],
    policy: 'enforce',
    expectedCidrs: CIDRS,
  };
}

function ctx(port: number, addresses: string[]): CheckContext {
  const loaded = loadConfig({ flags: { provisioningHost: HOST, expectedCidrs: CIDRS, port: String(port) } });
  return {
    loaded,
    config: loaded.config,
    settings: { register: false, compareSystem: false, timeoutMs: 1000, now: () => new Date() },
    state: { dpsEndpoint: report(addresses) },
  };
}

describe('TCP refused and TCP silence are told apart', function () {
  it('dps-check: a refused port is TCP_REFUSED (something answered), with port and rejecting-firewall advice', async () => {
    const port = await closedPort('127.10.7.1');
    const out = await dpsTcpMqtt.run(ctx(port, ['127.10.7.1']));
    assert.deepEqual(
      out.findings?.map((f) => [f.code, f.severity]),
      [['TCP_REFUSED', 'error']],
    );
    const f = out.findings![0];
    assert.deepEqual(f.evidence['addresses'], ['127.10.7.1']);
    assert.match(f.message, /refused/);
    assert.match(f.remediation, /answered/);
    assert.match(f.remediation, /port/);
    assert.match(f.remediation, /reject/);
    assert.doesNotMatch(f.remediation, /Check the route/);
  });

  it('dps-check: silence (no SYN-ACK, no RST) stays TCP_UNREACHABLE with route and NSG advice', async () => {
    const silent = await silentPort('127.10.7.2');
    try {
      const out = await dpsTcpMqtt.run(ctx(silent.port, ['127.10.7.2']));
      assert.deepEqual(
        out.findings?.map((f) => f.code),
        ['TCP_UNREACHABLE'],
      );
      assert.match(out.findings![0].message, /ETIMEDOUT/);
      assert.match(out.findings![0].remediation, /route/);
      assert.match(out.findings![0].remediation, /NSG/);
    } finally {
      silent.close();
    }
  });

  it('dps-check: one address refused and one silent gives one finding of each, each naming its address', async () => {
    const silent = await silentPort('127.10.7.3');
    try {
      // The same port number on another loopback address, where nothing listens: refused.
      const out = await dpsTcpMqtt.run(ctx(silent.port, ['127.10.7.3', '127.10.7.4']));
      const byCode = Object.fromEntries((out.findings ?? []).map((f) => [f.code, f.evidence['addresses']]));
      assert.deepEqual(byCode, { TCP_REFUSED: ['127.10.7.4'], TCP_UNREACHABLE: ['127.10.7.3'] });
    } finally {
      silent.close();
    }
  });

  it('library: probeTls to a refused port fails with TCP_REFUSED naming the address', async () => {
    const port = await closedPort('127.10.7.5');
    const r = await probeTls(
      { host: HOST, addresses: ['127.10.7.5'], port, minVersion: 'TLSv1.2' },
      { timeoutMs: 3000 },
    );
    assert.ok(!r.ok);
    assert.equal(r.failure.finding.code, 'TCP_REFUSED');
    assert.match(r.failure.finding.message, /127\.10\.7\.5/);
    assert.match(r.failure.finding.remediation, /answered/);
  });
});
