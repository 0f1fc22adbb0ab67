import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { provisionDevice } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { readCache, writeCache } from '../../src/provision/cache';
import { optionsFor, startTestLab } from '../support/provision-lab';

describe('provision: the cache is checked for meaning, and a cache problem never costs the assignment', function () {
  let lab: LabHandle;
  let dir: string;
  before(async () => {
    lab = await startTestLab();
    dir = mkdtempSync(path.join(tmpdir(), 'dpl-cache-check-'));
  });
  after(() => lab.close());

  let n = 0;
  const fresh = async (): Promise<{ device: LabDevice; file: string }> => {
    const device = await lab.createDevice(`cache-check-${++n}`, 'symmetric-key');
    return { device, file: path.join(dir, `device-${n}`, 'dps.json') };
  };

  // Each row has the right JSON types but a value no real assignment holds.
  const corrupt: [string, Record<string, unknown>][] = [
    ['assignedHub "bad hub!"', { assignedHub: 'bad hub!' }],
    ['assignedHub an IP address', { assignedHub: '127.10.0.9' }],
    ['assignedHub a URL', { assignedHub: 'https://lab-hub.azure-devices.net' }],
    ['transport "amqp"', { transport: 'amqp' }],
    ['deviceId smuggling a connection-string field', { deviceId: 'x;SharedAccessKey=zz' }],
    ['tls without protocol', { tls: { cipher: 'x' } }],
    ['provisionedAt not a date', { provisionedAt: 'yesterday' }],
  ];
  for (const [what, patch] of corrupt) {
    it(`${what}: DPS_CACHE_CORRUPT (warning), registers again and replaces the file`, async () => {
      const { device, file } = await fresh();
      await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
      const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...record, ...patch }), { mode: 0o600 });
      const before = lab.counters.registrations;
      const result = await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
      assert.equal(result.fromCache, false);
      assert.equal(lab.counters.registrations, before + 1);
      assert.equal(result.findings.find((f) => f.code === 'DPS_CACHE_CORRUPT')?.severity, 'warning');
      const now = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      assert.equal(now.assignedHub, lab.hub.host);
      assert.equal(now.deviceId, device.deviceId);
      // And the replaced file is a hit again.
      assert.equal((await provisionDevice(optionsFor(lab, device, { cache: { path: file } }))).fromCache, true);
    });
  }

  // DPS may send the hub name in upper case or with a trailing dot; older versions stored it so.
  for (const spelling of ['LAB-HUB.azure-devices.net', 'lab-hub.azure-devices.net.', 'Lab-Hub.Azure-Devices.Net.']) {
    it(`a cached hub name spelled ${JSON.stringify(spelling)} is the same hub: a hit, with the name normalised`, async () => {
      const { device, file } = await fresh();
      await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
      const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...record, assignedHub: spelling }), { mode: 0o600 });
      const before = lab.counters.registrations;
      const result = await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
      assert.equal(result.fromCache, true);
      assert.equal(lab.counters.registrations, before);
      assert.equal(result.assignedHub, lab.hub.host);
      assert.ok(!result.findings.some((f) => f.code === 'DPS_CACHE_CORRUPT'));
    });
  }

  it('writeCache stores the hub name DPS sent normalised, so the next read is a hit', async () => {
    const file = path.join(dir, 'normalised-on-write', 'dps.json');
    const expect = {
      provisioningHost: 'lab-dps.azure-devices-provisioning.net',
      idScope: '0ne00000A1B',
      registrationId: 'dev-1',
      credential: 'sas:00',
    };
    await writeCache(file, {
      version: 1,
      ...expect,
      assignedHub: 'LAB-HUB.Azure-Devices.net.',
      deviceId: 'dev-1',
      provisionedAt: new Date(0).toISOString(),
      tls: { protocol: 'TLSv1.3', cipher: 'x' },
      transport: 'mqtt',
    });
    assert.equal(
      (JSON.parse(readFileSync(file, 'utf8')) as { assignedHub: string }).assignedHub,
      'lab-hub.azure-devices.net',
    );
    const read = await readCache(file, expect);
    assert.equal(read.kind, 'hit');
  });

  it('a cache write that fails after DPS assigned the device: the result, with DPS_CACHE_WRITE_FAILED (warning)', async () => {
    const { device } = await fresh();
    const blocker = path.join(dir, 'a-file-not-a-directory');
    writeFileSync(blocker, 'x');
    const file = path.join(blocker, 'dps.json');
    const result = await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    assert.equal(result.assignedHub, lab.hub.host);
    assert.equal(result.deviceId, device.deviceId);
    const finding = result.findings.find((f) => f.code === 'DPS_CACHE_WRITE_FAILED');
    assert.ok(finding, JSON.stringify(result.findings.map((f) => f.code)));
    assert.equal(finding.severity, 'warning');
    assert.ok(finding.message.includes(file));
    assert.ok(
      !result.findings.some((f) => f.code === 'DPS_CACHE_CORRUPT'),
      'nothing was read, so nothing is called corrupt',
    );
  });

  it('a cache hit reports the transport asked for now, not the cached one', async () => {
    const { device, file } = await fresh();
    await provisionDevice(optionsFor(lab, device, { cache: { path: file }, transport: 'mqtt' }));
    const again = await provisionDevice(optionsFor(lab, device, { cache: { path: file }, transport: 'mqtt-ws' }));
    assert.equal(again.fromCache, true);
    assert.equal(again.transport, 'mqtt-ws');
  });
});
