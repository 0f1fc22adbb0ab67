// A 401 through an HTTP CONNECT proxy: the socket's remote address is the proxy's, so the device cannot know where
// the proxy went (the private endpoint, or the public one with public access disabled). The finding must say so,
// never "at the private address <proxy>… the network path is right", and the error keeps PROXY_IN_PATH.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  createHubClient,
  HubConnectionError,
  openHubClient,
  provisionDevice,
  ProvisioningError,
} from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { startTestProxy, type TestProxy } from '../support/proxy';
import { optionsFor, startTestLab } from '../support/provision-lab';

const PROXY_ADDRESS = '127.10.0.5';

describe('connection: 401 through a CONNECT proxy is not blamed on the enrollment at the proxy address', function () {
  let lab: LabHandle;
  let proxy: TestProxy;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());
  afterEach(() => proxy?.close());

  const via = (): string => `http://${PROXY_ADDRESS}:${proxy.port}`;
  const wrongKey = (device: LabDevice): LabDevice => ({
    ...device,
    auth: { symmetricKey: randomBytes(32).toString('base64') },
  });

  const assertProxyAware = (
    e: { findings: { code: string; evidence: Record<string, unknown> }[] },
    code: string,
    message: string,
    remediation: string,
  ): void => {
    assert.doesNotMatch(
      message,
      new RegExp(`address ${PROXY_ADDRESS.replace(/\./g, '\\.')}`),
      'the proxy is not the service address',
    );
    assert.doesNotMatch(remediation, /network path is right/);
    assert.match(message, /proxy/);
    assert.match(remediation, /proxy/);
    assert.equal(e.findings[0].code, code);
    assert.equal(e.findings[0].evidence['proxy'], `${PROXY_ADDRESS}:${proxy.port}`);
    assert.equal(e.findings[0].evidence['address'], undefined);
    assert.ok(
      e.findings.some((f) => f.code === 'PROXY_IN_PATH'),
      `PROXY_IN_PATH kept: ${e.findings.map((f) => f.code).join(', ')}`,
    );
  };

  it('DPS 401 behind the proxy (private endpoint): DPS_UNAUTHORIZED naming the proxy, PROXY_IN_PATH kept', async () => {
    proxy = await startTestProxy(PROXY_ADDRESS, { [lab.dps.host]: lab.dps.address });
    const device = wrongKey(await lab.createDevice('proxied-wrong-key', 'symmetric-key'));
    await assert.rejects(
      provisionDevice(optionsFor(lab, device, { transport: 'mqtt-ws', proxy: via() })),
      (e: unknown) => {
        assert.ok(e instanceof ProvisioningError, String(e));
        assert.equal(e.code, 'DPS_UNAUTHORIZED', e.message);
        assertProxyAware(e, 'DPS_UNAUTHORIZED', e.findings[0].message, e.findings[0].remediation);
        return true;
      },
    );
    assert.deepEqual(proxy.connects, [`${lab.dps.host}:${lab.dps.wsPort}`]);
  });

  it('DPS 401 because the proxy resolved the public endpoint: the advice names the proxy resolver as a cause', async () => {
    proxy = await startTestProxy(PROXY_ADDRESS, { [lab.dps.host]: lab.publicTwin.address });
    const device = await lab.createDevice('proxied-public', 'symmetric-key');
    await assert.rejects(
      provisionDevice(optionsFor(lab, device, { transport: 'mqtt-ws', proxy: via() })),
      (e: unknown) => {
        assert.ok(e instanceof ProvisioningError, String(e));
        assertProxyAware(e, 'DPS_UNAUTHORIZED', e.findings[0].message, e.findings[0].remediation);
        assert.match(e.findings[0].remediation, /public endpoint/);
        return true;
      },
    );
  });

  it('hub 401 behind the proxy: HUB_UNAUTHORIZED naming the proxy, PROXY_IN_PATH kept', async () => {
    proxy = await startTestProxy(PROXY_ADDRESS, { [lab.dps.host]: lab.dps.address, [lab.hub.host]: lab.hub.address });
    const device = await lab.createDevice('proxied-hub-refused', 'symmetric-key');
    const result = await provisionDevice(optionsFor(lab, device, { transport: 'mqtt-ws', proxy: via() }));
    lab.setFault({ kind: 'hub-refuse' }, { deviceId: device.deviceId });
    try {
      const client = createHubClient(result, device.auth, {
        tls: { ca: lab.caPem },
        wsPort: lab.hub.wsPort,
        proxy: via(),
      });
      await assert.rejects(openHubClient(client, { timeoutMs: 10_000 }), (e: unknown) => {
        assert.ok(e instanceof HubConnectionError, String(e));
        assert.equal(e.code, 'HUB_UNAUTHORIZED', e.message);
        assertProxyAware(e, 'HUB_UNAUTHORIZED', e.findings[0].message, e.findings[0].remediation);
        // The hub connection's own PROXY_IN_PATH, not only the one DPS's result carried.
        assert.ok(e.findings.some((f) => f.code === 'PROXY_IN_PATH' && f.evidence['host'] === lab.hub.host));
        return true;
      });
    } finally {
      lab.setFault(undefined);
    }
  });
});
