import assert from 'node:assert/strict';
import { createHubClient, HubConnectionError, InvalidOptionError, provisionDevice } from '../../src/index';
import type { LabDevice, LabHandle, ProvisioningResult } from '../../src/index';
import { optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

describe('handoff: createHubClient checks its options and does not trust the result it is given', function () {
  let lab: LabHandle;
  let device: LabDevice;
  let result: ProvisioningResult;
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('hub-input-device', 'symmetric-key');
    result = await provisionDevice(optionsFor(lab, device));
  });
  after(() => lab.close());

  // Every hub client here is given this connector: it records each socket asked for.
  const spy = spyOnConnector();
  const hubOptions = () => ({
    tls: { ca: lab.caPem },
    port: lab.hub.port,
    wsPort: lab.hub.wsPort,
    connector: spy.connector,
  });

  /** Runs `fn` and asserts that no socket was asked for while it ran. */
  const noSocket = (fn: () => void): void => {
    const before = spy.calls.length;
    fn();
    assert.deepEqual(spy.calls.slice(before), [], 'no socket opened');
  };

  const badPorts: [string, Record<string, unknown>, string][] = [
    ['port 70000', { port: 70000 }, 'options.port'],
    ['port 0', { port: 0 }, 'options.port'],
    ['port 8883.5', { port: 8883.5 }, 'options.port'],
    ['port "8883"', { port: '8883' }, 'options.port'],
    ['wsPort 70000 (even with transport mqtt)', { wsPort: 70000 }, 'options.wsPort'],
    ['wsPort -1 with mqtt-ws', { wsPort: -1, transport: 'mqtt-ws' }, 'options.wsPort'],
  ];
  for (const [what, patch, option] of badPorts) {
    it(`${what} → InvalidOptionError naming ${option}, at once`, () => {
      noSocket(() =>
        assert.throws(
          () => createHubClient(result, device.auth, { ...hubOptions(), ...patch } as never),
          (e: unknown) => e instanceof InvalidOptionError && e.option === option,
        ),
      );
    });
  }

  it('a proxy with transport mqtt is refused (it would be silently ignored), naming options.proxy', () => {
    noSocket(() =>
      assert.throws(
        () =>
          createHubClient(result, device.auth, { ...hubOptions(), transport: 'mqtt', proxy: 'http://127.0.0.1:3128' }),
        (e: unknown) => e instanceof InvalidOptionError && e.option === 'options.proxy' && /mqtt-ws/.test(e.message),
      ),
    );
  });

  it('a result whose inExpectedRange flags were edited cannot pin outside the ranges (HUB_UNRESOLVED, no socket)', () => {
    const edited = {
      ...result,
      hub: {
        ...result.hub,
        addresses: [
          { address: '10.99.0.4', family: 4, addressClass: 'private', inExpectedRange: true },
          { address: '203.0.113.7', family: 4, addressClass: 'public', inExpectedRange: true },
        ],
      },
    } as ProvisioningResult;
    noSocket(() =>
      assert.throws(
        () => createHubClient(edited, device.auth, hubOptions()),
        (e: unknown) => e instanceof HubConnectionError && e.code === 'HUB_UNRESOLVED',
      ),
    );
  });

  it('a flag cleared on an address that is in range does not matter either: it is recomputed', () => {
    const edited = {
      ...result,
      hub: { ...result.hub, addresses: result.hub.addresses.map((a) => ({ ...a, inExpectedRange: false })) },
    };
    const client = createHubClient(edited, device.auth, hubOptions());
    assert.ok(client);
  });

  it('a result whose deviceId would add a field to the connection string is refused, naming result.deviceId', () => {
    const edited = { ...result, deviceId: 'x;SharedAccessKey=zz' };
    assert.throws(
      () => createHubClient(edited, device.auth, hubOptions()),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'result.deviceId' && !e.message.includes('zz'),
    );
  });

  const publicHub = (patch: Record<string, unknown>): ProvisioningResult =>
    ({
      ...result,
      hub: {
        ...result.hub,
        ...patch,
        addresses: [{ address: '203.0.113.7', family: 4, addressClass: 'public', inExpectedRange: true }],
      },
    }) as ProvisioningResult;

  it("a result whose hub.policy was edited to 'off' still gets enforce: a public hub is refused, no socket", () => {
    noSocket(() =>
      assert.throws(
        () => createHubClient(publicHub({ policy: 'off' }), device.auth, hubOptions()),
        (e: unknown) => e instanceof HubConnectionError && e.code === 'HUB_UNRESOLVED',
      ),
    );
  });

  it("options.policy 'off' is the caller's choice and is honoured", () => {
    noSocket(() => assert.ok(createHubClient(publicHub({}), device.auth, { ...hubOptions(), policy: 'off' })));
  });

  it('options.policy that is no policy → InvalidOptionError naming options.policy', () => {
    assert.throws(
      () => createHubClient(result, device.auth, { ...hubOptions(), policy: 'lenient' as never }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'options.policy',
    );
  });

  it("options.expectedCidrs overrides a result whose expectedCidrs were widened to ['0.0.0.0/0']", () => {
    noSocket(() =>
      assert.throws(
        () =>
          createHubClient(publicHub({ expectedCidrs: ['0.0.0.0/0'] }), device.auth, {
            ...hubOptions(),
            expectedCidrs: lab.vnetCidrs,
          }),
        (e: unknown) => e instanceof HubConnectionError && e.code === 'HUB_UNRESOLVED',
      ),
    );
  });

  it('options.expectedCidrs narrows the ranges the hub is checked against', () => {
    noSocket(() =>
      assert.throws(
        () => createHubClient(result, device.auth, { ...hubOptions(), expectedCidrs: ['10.1.0.0/16'] }),
        (e: unknown) => e instanceof HubConnectionError && e.code === 'HUB_UNRESOLVED',
      ),
    );
  });
});
