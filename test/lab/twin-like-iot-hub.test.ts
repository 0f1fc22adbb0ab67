import assert from 'node:assert/strict';
import type { Client, Twin } from 'azure-iot-device';
import { connectDevice, InvalidOptionError } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { runTwinQuery } from '../../src/lab/query';
import { optionsFor, startTestLab } from '../support/provision-lab';

const update = (twin: Twin, patch: Record<string, unknown>): Promise<void> =>
  new Promise((resolve, reject) => twin.properties.reported.update(patch, (e?: Error) => (e ? reject(e) : resolve())));

// The unmodified device SDK is the client: it speaks $iothub/twin/GET and PATCH/properties/reported, and reads the
// $version and error bodies the lab answers.
describe('lab hub: device twins the way IoT Hub keeps them', function () {
  this.timeout(60_000);
  let lab: LabHandle;
  let device: LabDevice;
  let client: Client;
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('twin-device', 'symmetric-key');
    ({ client } = await connectDevice(optionsFor(lab, device), {
      tls: { ca: lab.caPem },
      port: lab.hub.port,
      wsPort: lab.hub.wsPort,
    }));
  });
  after(async () => {
    await client?.close();
    await lab.close();
  });
  afterEach(() => lab.setTwinPatchFault(undefined));

  it('GET answers desired and reported with $version; a PATCH merges, null deletes, $version grows', async () => {
    const twin = await client.getTwin();
    assert.equal(typeof twin.properties.desired.$version, 'number');
    const v0 = twin.properties.reported.$version as number;
    await update(twin, { a: { b: 1, c: 'x' }, d: true });
    await update(twin, { a: { c: null, e: 'y' } });
    assert.deepEqual(lab.reportedProperties(device.deviceId), { a: { b: 1, e: 'y' }, d: true });
    const again = await client.getTwin();
    await new Promise<void>((resolve, reject) => again.get((e) => (e ? reject(e) : resolve())));
    assert.equal(again.properties.reported.$version, v0 + 2);
    assert.deepEqual((again.properties.reported as Record<string, unknown>).a, { b: 1, e: 'y' });
  });

  it('a patch that would take reported properties over 32 KB is refused with 400 and an error body; nothing changes', async () => {
    const twin = await client.getTwin();
    const before = lab.reportedProperties(device.deviceId);
    const big = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`fill${i}`, 'x'.repeat(4000)]));
    await assert.rejects(update(twin, big), /Properties\.Reported' size should be less than 32768 bytes/);
    assert.deepEqual(lab.reportedProperties(device.deviceId), before);
  });

  it('refuses invalid property names, values over 4 KB and nesting deeper than 10', async () => {
    const twin = await client.getTwin();
    await assert.rejects(update(twin, { 'a.b': 1 }), /not a valid property name/);
    await assert.rejects(update(twin, { $x: 1 }), /not a valid property name/);
    await assert.rejects(update(twin, { 'a b': 1 }), /not a valid property name/);
    await assert.rejects(update(twin, { long: 'x'.repeat(4097) }), /longer than 4096 bytes/);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i++) deep = { [`l${i}`]: deep };
    await assert.rejects(update(twin, deep), /deeper than 10/);
  });

  it('a patch fault answers the status with an IoT Hub-style body, `times` times', async () => {
    const twin = await client.getTwin();
    lab.setTwinPatchFault({ status: 500, times: 1 });
    await assert.rejects(update(twin, { f: 1 }), /refused \(500\)/);
    await update(twin, { f: 2 });
    assert.equal(lab.reportedProperties(device.deviceId)?.f, 2);
    assert.throws(() => lab.setTwinPatchFault({ status: 200 }), InvalidOptionError);
  });

  it('queryTwins sees every device the hub knows', () => {
    assert.deepEqual(lab.queryTwins('SELECT deviceId FROM devices WHERE properties.reported.f = 2'), [
      { deviceId: device.deviceId },
    ]);
  });
});

describe('lab query helper: the subset of the IoT Hub query language the README uses', () => {
  const twins = [
    { deviceId: 'a', reported: { p: { v: 'private-in-vnet', n: 0, proxy: false, tls: 'TLSv1.3' } } },
    { deviceId: 'b', reported: { p: { v: 'public', n: 2, proxy: true, tls: 'TLSv1.2', f: { X_Y: 'error' } } } },
    { deviceId: 'c', reported: {} },
  ];
  const ids = (sql: string): string[] => runTwinQuery(twins, sql).map((r) => r.deviceId as string);
  const cases: [string, string[]][] = [
    ["SELECT deviceId FROM devices WHERE properties.reported.p.v != 'private-in-vnet'", ['b']],
    ["SELECT deviceId FROM devices WHERE properties.reported.p.v <> 'public'", ['a']],
    ['SELECT deviceId FROM devices WHERE properties.reported.p.n > 0', ['b']],
    ['SELECT deviceId FROM devices WHERE properties.reported.p.n >= 0', ['a', 'b']],
    ["SELECT deviceId FROM devices WHERE properties.reported.p.tls < 'TLSv1.3'", ['b']],
    ['SELECT deviceId FROM devices WHERE properties.reported.p.proxy = true', ['b']],
    ['SELECT deviceId FROM devices WHERE IS_DEFINED(properties.reported.p.f.X_Y)', ['b']],
    ['SELECT deviceId FROM devices WHERE NOT IS_DEFINED(properties.reported.p)', ['c']],
    // undefined is neither true nor false: a device without the property matches neither = nor !=, nor NOT of them
    ["SELECT deviceId FROM devices WHERE NOT (properties.reported.p.v = 'public')", ['a']],
    [
      "SELECT deviceId FROM devices WHERE properties.reported.p.v = 'public' OR properties.reported.p.n = 0",
      ['a', 'b'],
    ],
    ["select deviceId from devices where properties.reported.p.v = 'public' and properties.reported.p.n < 2", []],
    ["SELECT deviceId FROM devices WHERE deviceId = 'c'", ['c']],
    // a type mismatch compares as undefined, as in IoT Hub
    ["SELECT deviceId FROM devices WHERE properties.reported.p.n != 'x'", []],
    ['SELECT deviceId FROM devices', ['a', 'b', 'c']],
  ];
  for (const [sql, expected] of cases) it(sql, () => assert.deepEqual(ids(sql), expected));

  it('SELECT * gives the reported properties', () => {
    assert.deepEqual(runTwinQuery(twins, "SELECT * FROM devices WHERE deviceId = 'a'"), [
      { deviceId: 'a', properties: { reported: twins[0].reported } },
    ]);
  });

  it('anything outside the subset is an InvalidOptionError naming sql', () => {
    for (const bad of [
      'SELECT deviceId FROM modules',
      'SELECT deviceId FROM devices WHERE tags.x = 1',
      "SELECT deviceId FROM devices WHERE properties.reported.p.v = 'unterminated",
      'SELECT deviceId FROM devices WHERE properties.reported.p.v LIKE 1',
      'SELECT deviceId FROM devices WHERE (properties.reported.p.n = 1',
      'DELETE FROM devices',
    ]) {
      assert.throws(
        () => runTwinQuery(twins, bad),
        (e: InvalidOptionError) => e instanceof InvalidOptionError && e.option === 'sql',
        bad,
      );
    }
  });
});
