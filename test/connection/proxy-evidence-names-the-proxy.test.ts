// Through an HTTP CONNECT proxy the socket's peer is the proxy: the device never learns which address the proxy
// connected to. A TLS failure inside the tunnel must therefore name the proxy as `proxy` and claim no `address` for
// the service, and its message must not say the service at the proxy's address presented the bad certificate.
import assert from 'node:assert/strict';
import net from 'node:net';
import { createFinding } from '../../src/findings/finding';
import { createHubClient, openHubClient, provisionDevice } from '../../src/index';
import type { LabFault, LabHandle, ProvisionOptions } from '../../src/index';
import { startTestProxy, type TestProxy } from '../support/proxy';
import { optionsFor, startTestLab } from '../support/provision-lab';

const PROXY_ADDRESS = '127.10.0.5';
/** Where the proxy sends the DPS name in the reset case: a TCP peer that drops every ClientHello. */
const RESETTING_PEER = '127.10.0.77';

interface Failure {
  code: string;
  findings: { code: string; message: string; remediation: string; evidence: Record<string, unknown> }[];
}

describe('connection: a failure inside a CONNECT tunnel names the proxy, not a service address', function () {
  this.timeout(60_000);
  let lab: LabHandle;
  let proxy: TestProxy;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());
  afterEach(async () => {
    lab.setFault(undefined);
    await proxy?.close();
  });

  const via = (): string => `http://${PROXY_ADDRESS}:${proxy.port}`;

  /** The first finding is `code`, with the proxy as evidence and no address of the service, in data or in words. */
  const assertNamesTheProxy = (e: unknown, code: string): void => {
    const { findings } = e as Failure;
    const f = findings[0]!;
    assert.equal(f.code, code, f.message);
    assert.equal(f.evidence['proxy'], `${PROXY_ADDRESS}:${proxy.port}`);
    assert.equal(f.evidence['address'], undefined, 'no address claimed for the service');
    assert.equal(f.evidence['addresses'], undefined, 'no addresses claimed for the service');
    assert.match(f.message, new RegExp(`through the HTTP CONNECT proxy ${PROXY_ADDRESS.replace(/\./g, '\\.')}:`));
    assert.doesNotMatch(f.message, new RegExp(`\\(${PROXY_ADDRESS.replace(/\./g, '\\.')}:`), 'not "host (proxy ip)"');
  };

  const provisionThroughProxy = async (
    name: string,
    fault: LabFault,
    extra: Partial<ProvisionOptions> = {},
  ): Promise<unknown> => {
    proxy = await startTestProxy(PROXY_ADDRESS, { [lab.dps.host]: lab.dps.address });
    lab.setFault(fault);
    const device = await lab.createDevice(name, 'symmetric-key');
    return provisionDevice(optionsFor(lab, device, { transport: 'mqtt-ws', proxy: via(), ...extra })).then(
      () => assert.fail('provisioning must fail'),
      (e: unknown) => e,
    );
  };

  it('DPS certificate for another name: TLS_HOSTNAME_MISMATCH names the proxy', async () => {
    assertNamesTheProxy(
      await provisionThroughProxy('proxied-wrong-san', { kind: 'wrong-san' }),
      'TLS_HOSTNAME_MISMATCH',
    );
  });

  it('DPS drops the connection after CONNACK: DPS_CONNECTION_LOST names the proxy', async () => {
    const e = await provisionThroughProxy(
      'proxied-dropped',
      { kind: 'drop-after-connack' },
      { retry: { maxAttempts: 1 } },
    );
    assertNamesTheProxy(e, 'DPS_CONNECTION_LOST');
  });

  it('DPS certificate expired: TLS_SERVER_CERT_EXPIRED names the proxy', async () => {
    const e = await provisionThroughProxy('proxied-expired', { kind: 'expired-cert' });
    assertNamesTheProxy(e, 'TLS_SERVER_CERT_EXPIRED');
  });

  it('the far end of the tunnel drops the ClientHello: TCP_UNREACHABLE names the proxy and its side', async () => {
    const sockets = new Set<net.Socket>();
    const peer = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('data', () => s.destroy());
    });
    await new Promise<void>((resolve) => peer.listen(lab.dps.wsPort, RESETTING_PEER, resolve));
    try {
      proxy = await startTestProxy(PROXY_ADDRESS, { [lab.dps.host]: RESETTING_PEER });
      const device = await lab.createDevice('proxied-reset', 'symmetric-key');
      await assert.rejects(provisionDevice(optionsFor(lab, device, { transport: 'mqtt-ws', proxy: via() })), (e) => {
        assertNamesTheProxy(e, 'TCP_UNREACHABLE');
        assert.match(
          (e as Failure).findings[0]!.remediation,
          /proxy 127\.10\.0\.5:\d+, which opened the tunnel, that route is the proxy's/,
        );
        return true;
      });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => peer.close(resolve));
    }
  });

  it('hub certificate for another name: TLS_HOSTNAME_MISMATCH for the hub names the proxy', async () => {
    proxy = await startTestProxy(PROXY_ADDRESS, { [lab.dps.host]: lab.dps.address, [lab.hub.host]: lab.hub.address });
    const device = await lab.createDevice('proxied-hub-wrong-san', 'symmetric-key');
    const result = await provisionDevice(optionsFor(lab, device, { transport: 'mqtt-ws', proxy: via() }));
    lab.setFault({ kind: 'wrong-san', target: 'hub' });
    const client = createHubClient(result, device.auth, {
      tls: { ca: lab.caPem },
      wsPort: lab.hub.wsPort,
      proxy: via(),
    });
    await assert.rejects(openHubClient(client, { timeoutMs: 20_000 }), (e) => {
      assertNamesTheProxy(e, 'TLS_HOSTNAME_MISMATCH');
      assert.equal((e as Failure).findings[0]!.evidence['host'], lab.hub.host);
      return true;
    });
  });

  it('hub never answers CONNECT: HUB_TIMEOUT names the proxy, not the proxy as the hub', async () => {
    proxy = await startTestProxy(PROXY_ADDRESS, { [lab.dps.host]: lab.dps.address, [lab.hub.host]: lab.hub.address });
    const device = await lab.createDevice('proxied-hub-silent', 'symmetric-key');
    const result = await provisionDevice(optionsFor(lab, device, { transport: 'mqtt-ws', proxy: via() }));
    lab.setFault({ kind: 'hub-never-connack' });
    const client = createHubClient(result, device.auth, {
      tls: { ca: lab.caPem },
      wsPort: lab.hub.wsPort,
      proxy: via(),
    });
    await assert.rejects(openHubClient(client, { timeoutMs: 2_000 }), (e) => {
      assertNamesTheProxy(e, 'HUB_TIMEOUT');
      return true;
    });
  });

  it('DPS_CONNECTION_LOST with a proxy says the tunnel closed, not that DPS at the proxy address did', () => {
    const f = createFinding('DPS_CONNECTION_LOST', {
      host: lab.dps.host,
      proxy: `${PROXY_ADDRESS}:3128`,
      step: 'registering',
      detail: 'Connection closed',
    });
    assert.match(f.message, /through the HTTP CONNECT proxy 127\.10\.0\.5:3128 closed while registering/);
    assert.match(f.message, /proxy or the service behind it/);
    assert.match(f.remediation, /proxy 127\.10\.0\.5:3128/);
  });
});
