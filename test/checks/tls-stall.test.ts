// dps-check's TLS check on a peer that accepted TCP and never answers the ClientHello (MTU black hole, IPS): the
// TCP check just said ok, so the TLS check must not say "no TCP connection".
import assert from 'node:assert/strict';
import { dpsTlsMqtt } from '../../src/checks/tls-handshake';
import type { CheckContext } from '../../src/checks/types';
import { loadConfig } from '../../src/config/load';
import { silentTcpPeer } from '../connection/silent-tcp-peer';

const HOST = 'stall-dps.azure-devices-provisioning.net';

function ctx(address: string, port: number): CheckContext {
  const loaded = loadConfig({ flags: { provisioningHost: HOST, expectedCidrs: ['127.10.8.0/24'] } });
  return {
    loaded,
    config: loaded.config,
    settings: { register: false, compareSystem: false, timeoutMs: 800, now: () => new Date() },
    state: { tcp: { 'dps-tcp-mqtt': { port, reachable: [address] } } },
  };
}

describe('dps-tls checks: TCP connected, the TLS handshake got no answer', () => {
  it('TLS_HANDSHAKE_STALLED with MTU / inspection advice, not TCP_UNREACHABLE', async () => {
    const peer = await silentTcpPeer('127.10.8.1');
    try {
      const out = await dpsTlsMqtt.run(ctx(peer.address, peer.port));
      assert.deepEqual(
        out.findings?.map((f) => [f.code, f.severity]),
        [['TLS_HANDSHAKE_STALLED', 'error']],
      );
      const f = out.findings![0];
      assert.equal(f.evidence['address'], peer.address);
      assert.match(f.message, /TCP .*connected/);
      assert.match(f.remediation, /MTU/);
      assert.doesNotMatch(f.message, /No TCP connection/);
      assert.equal(peer.accepted(), 1);
    } finally {
      await peer.close();
    }
  });
});
