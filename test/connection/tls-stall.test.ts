// A peer that accepts TCP and never answers the ClientHello: what a VPN MTU black hole or an IPS dropping the
// ClientHello looks like from the device. TCP worked, so the diagnosis must not be TCP_UNREACHABLE.
import assert from 'node:assert/strict';
import { probeTls } from '../../src/connection/probe';
import {
  createHubClient,
  HubConnectionError,
  openHubClient,
  provisionDevice,
  ProvisioningError,
} from '../../src/index';
import type { LabHandle } from '../../src/index';
import { startTestProxy } from '../support/proxy';
import { optionsFor, startTestLab } from '../support/provision-lab';
import { silentTcpPeer } from './silent-tcp-peer';
import { HOST } from './support';

describe('connection: TCP connected, the TLS handshake got no answer', () => {
  it('probeTls (verify): TLS_HANDSHAKE_STALLED at the address, with MTU and inspection advice, not TCP_UNREACHABLE', async () => {
    const peer = await silentTcpPeer('127.10.6.1');
    try {
      const r = await probeTls(
        { host: HOST, addresses: [peer.address], port: peer.port, minVersion: 'TLSv1.2' },
        { timeoutMs: 800 },
      );
      assert.ok(!r.ok, 'nothing answered TLS');
      assert.equal(peer.accepted(), 1, 'the TCP connection was accepted');
      const f = r.failure.finding;
      assert.equal(f.code, 'TLS_HANDSHAKE_STALLED', f.message);
      assert.equal(f.evidence['address'], peer.address);
      assert.match(f.message, /TCP .*connected/);
      assert.match(f.remediation, /MTU/);
      assert.match(f.remediation, /ClientHello/);
    } finally {
      await peer.close();
    }
  });

  it('probeTls (inspect): the timeout says the TLS handshake stalled after TCP connected', async () => {
    const peer = await silentTcpPeer('127.10.6.2');
    try {
      const r = await probeTls(
        { host: HOST, addresses: [peer.address], port: peer.port, minVersion: 'TLSv1.2' },
        { mode: 'inspect', timeoutMs: 800 },
      );
      assert.equal(r.ok, false);
      assert.equal(r.errorCode, 'ERR_TLS_HANDSHAKE_STALLED');
      assert.equal(r.tcpConnected, true);
    } finally {
      await peer.close();
    }
  });
});

describe('provisionDevice: a DPS private endpoint that accepts TCP and never answers TLS', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  for (const transport of ['mqtt', 'mqtt-ws'] as const) {
    it(`${transport}: DPS_TIMEOUT at step "tls" with TLS_HANDSHAKE_STALLED among the findings`, async () => {
      const device = await lab.createDevice(`stall-${transport}`, 'symmetric-key');
      const peer = await silentTcpPeer('127.10.6.7');
      lab.dns.setRecord(lab.dps.privatelinkHost, { a: [peer.address], ttl: 10 });
      try {
        await assert.rejects(
          provisionDevice(optionsFor(lab, device, { transport, timeoutMs: 1500, port: peer.port, wsPort: peer.port })),
          (e: unknown) => {
            assert.ok(e instanceof ProvisioningError, String(e));
            assert.equal(e.code, 'DPS_TIMEOUT', e.message);
            assert.equal(e.step, 'tls');
            assert.equal(e.findings[0].evidence['step'], 'tls');
            assert.equal(e.findings[0].evidence['tlsCompleted'], false);
            assert.match(e.findings[0].remediation, /MTU/);
            const stalled = e.findings.find((f) => f.code === 'TLS_HANDSHAKE_STALLED');
            assert.ok(stalled, e.findings.map((f) => f.code).join(', '));
            assert.equal(stalled.evidence['address'], peer.address);
            return true;
          },
        );
        assert.equal(peer.accepted(), 1);
      } finally {
        lab.dns.setRecord(lab.dps.privatelinkHost, { a: [lab.dps.address], ttl: 10 });
        await peer.close();
      }
    });
  }

  it('mqtt-ws through a proxy that opened the tunnel: DPS_TIMEOUT at "tls" aimed at the proxy side, no stall claimed', async () => {
    const device = await lab.createDevice('stall-proxied', 'symmetric-key');
    const peer = await silentTcpPeer('127.10.6.8');
    const proxy = await startTestProxy('127.10.0.5', { [lab.dps.host]: peer.address });
    try {
      await assert.rejects(
        provisionDevice(
          optionsFor(lab, device, {
            transport: 'mqtt-ws',
            proxy: `http://127.10.0.5:${proxy.port}`,
            timeoutMs: 1500,
            wsPort: peer.port,
          }),
        ),
        (e: unknown) => {
          assert.ok(e instanceof ProvisioningError, String(e));
          assert.equal(e.code, 'DPS_TIMEOUT', e.message);
          assert.equal(e.step, 'tls');
          assert.equal(e.findings[0].evidence['proxy'], `127.10.0.5:${proxy.port}`);
          assert.match(e.findings[0].remediation, /proxy's side/);
          // Behind the tunnel the device cannot see TCP: the proxy's path is not diagnosed as an MTU problem here.
          assert.equal(
            e.findings.some((f) => f.code === 'TLS_HANDSHAKE_STALLED'),
            false,
          );
          assert.ok(e.findings.some((f) => f.code === 'PROXY_IN_PATH'));
          return true;
        },
      );
      assert.equal(peer.accepted(), 1, 'the proxy relayed the tunnel to the silent peer');
    } finally {
      await proxy.close();
      await peer.close();
    }
  });

  it('hub: HUB_TIMEOUT (no TLS completed) with TLS_HANDSHAKE_STALLED at the hub address', async () => {
    const device = await lab.createDevice('stall-hub', 'symmetric-key');
    const result = await provisionDevice(optionsFor(lab, device));
    // On the hub's own verified address, another port: the client is pinned to that address.
    const peer = await silentTcpPeer(lab.hub.address);
    try {
      const client = createHubClient(result, device.auth, { tls: { ca: lab.caPem }, port: peer.port });
      await assert.rejects(openHubClient(client, { timeoutMs: 1500 }), (e: unknown) => {
        assert.ok(e instanceof HubConnectionError, String(e));
        assert.equal(e.code, 'HUB_TIMEOUT', e.message);
        assert.equal(e.findings[0].evidence['tlsCompleted'], false);
        const stalled = e.findings.find((f) => f.code === 'TLS_HANDSHAKE_STALLED');
        assert.ok(stalled, e.findings.map((f) => f.code).join(', '));
        assert.equal(stalled.evidence['address'], lab.hub.address);
        assert.equal(stalled.evidence['host'], lab.hub.host);
        return true;
      });
      assert.equal(peer.accepted(), 1);
    } finally {
      await peer.close();
    }
  });
});
