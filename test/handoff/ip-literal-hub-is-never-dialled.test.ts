// Issue 14 items 3 and 15: an IP literal as `assignedHub` in a stored or edited result. Node skips `lookup` for IP
// literals, so a pinned lookup alone never runs and the literal itself would be dialled. The connector dials the
// verified address itself; the hub client refuses a literal with a typed error, IPv6 included (it used to throw
// `TypeError: Invalid URL` from deep inside the SDK's URI handling).
import assert from 'node:assert/strict';
import { createHubClient, HubConnectionError, openHubClient, probeTls, provisionDevice } from '../../src/index';
import type { LabDevice, LabHandle, ProvisioningResult } from '../../src/index';
import { createConnector } from '../../src/connection/connector';
import { optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

describe('an IP-literal host is never dialled in place of the verified address (issue 14 items 3, 15)', function () {
  this.timeout(20_000);
  let lab: LabHandle;
  let device: LabDevice;
  let result: ProvisioningResult;
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('ip-literal-hub', 'symmetric-key');
    result = await provisionDevice(optionsFor(lab, device));
  });
  after(() => lab.close());
  const hubOptions = (connector = spyOnConnector().connector) => ({
    tls: { ca: lab.caPem },
    port: lab.hub.port,
    wsPort: lab.hub.wsPort,
    connector,
  });
  /** The result with its hub name replaced by `host`; the verified (in-range) addresses left as they were. */
  const edited = (host: string): ProvisioningResult => ({ ...result, assignedHub: host });

  it("assignedHub = the public twin's IPv4 literal (verified addresses in range): refused, the literal never dialled", async () => {
    const before = { ...lab.counters.connections };
    const spy = spyOnConnector();
    let err: unknown;
    try {
      const client = createHubClient(edited(lab.hub.publicAddress), device.auth, hubOptions(spy.connector));
      await openHubClient(client, { timeoutMs: 3000 }).catch((e: unknown) => (err = e));
      await client.close().catch(() => undefined);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof HubConnectionError, `expected HubConnectionError, got ${String(err)}`);
    assert.equal(err.code, 'ENDPOINT_IS_IP_ADDRESS');
    assert.equal(lab.counters.connections.hubPublic, before.hubPublic, 'no connection to the literal');
    assert.deepEqual(spy.calls, []);
  });

  for (const literal of ['[2001:db8::1]', '2001:db8::1', '::ffff:127.10.0.9']) {
    it(`assignedHub = ${literal}: HubConnectionError ENDPOINT_IS_IP_ADDRESS, not TypeError, no socket`, () => {
      const spy = spyOnConnector();
      assert.throws(
        () => createHubClient(edited(literal), device.auth, hubOptions(spy.connector)),
        (e: unknown) => e instanceof HubConnectionError && e.code === 'ENDPOINT_IS_IP_ADDRESS',
      );
      assert.deepEqual(spy.calls, []);
    });
  }

  it('the connector itself: openTls to an IP-literal host dials only the verified address', async () => {
    const before = { ...lab.counters.connections };
    const connector = createConnector();
    const outcome = await new Promise<string>((resolve) => {
      let socket;
      try {
        socket = connector.openTls({
          host: lab.hub.publicAddress,
          addresses: [lab.hub.address],
          port: lab.hub.port,
          minVersion: 'TLSv1.2',
          ca: lab.caPem,
        });
      } catch (e) {
        resolve(`refused: ${(e as Error).message}`);
        return;
      }
      socket.on('error', (e) => resolve(`error: ${e.message}`));
      socket.on('secureConnect', () => {
        resolve(`connected to ${socket.remoteAddress}`);
        socket.destroy();
      });
    });
    assert.equal(lab.counters.connections.hubPublic, before.hubPublic, `the literal was dialled (${outcome})`);
    assert.doesNotMatch(outcome, new RegExp(`connected to ${lab.hub.publicAddress.replace(/\./g, '\\.')}$`));
  });

  it('a DNS-name host is dialled at the verified address itself, SNI and certificate check on the name', async () => {
    const connector = createConnector();
    const socket = connector.openTls({
      host: lab.hub.host,
      addresses: [lab.hub.address],
      port: lab.hub.port,
      minVersion: 'TLSv1.2',
      ca: lab.caPem,
    });
    const remote = await new Promise<string>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('secureConnect', () => resolve(socket.remoteAddress ?? ''));
    });
    socket.destroy();
    assert.equal(remote, lab.hub.address);
  });

  it('probeTls({ host: <IP literal> }) does not dial the literal either', async () => {
    const before = { ...lab.counters.connections };
    const out = await probeTls({
      host: lab.hub.publicAddress,
      addresses: [lab.hub.address],
      port: lab.hub.port,
      minVersion: 'TLSv1.2',
      ca: lab.caPem,
    }).then(
      (r) => r,
      (e: unknown) => e,
    );
    assert.equal(lab.counters.connections.hubPublic, before.hubPublic, `the literal was dialled (${String(out)})`);
  });
});
