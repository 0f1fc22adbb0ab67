import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectDevice, provisionDevice } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';

describe('provision: persisted assignment (cache.path)', function () {
  let lab: LabHandle;
  let dir: string;
  before(async () => {
    lab = await startTestLab();
    dir = mkdtempSync(path.join(tmpdir(), 'dpl-cache-'));
  });
  after(() => lab.close());

  let n = 0;
  const fresh = async (): Promise<{ device: LabDevice; file: string }> => {
    const device = await lab.createDevice(`cache-${++n}`, 'x509-individual');
    return { device, file: path.join(dir, `device-${n}`, 'dps.json') };
  };

  it('miss: registers, then writes the assignment atomically with mode 0600 and no secret', async () => {
    const { device, file } = await fresh();
    const result = await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    assert.equal(result.fromCache, false);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    const record = JSON.parse(text) as Record<string, unknown>;
    assert.equal(record.assignedHub, lab.hub.host);
    assert.equal(record.deviceId, device.deviceId);
    assert.match(String(record.credential), /^x509:[0-9A-F]{64}$/);
    assert.ok(!text.includes('PRIVATE KEY') && !text.includes('BEGIN CERTIFICATE'));
    assert.deepEqual(readdirSync(path.dirname(file)), ['dps.json'], 'no temp file left behind');
  });

  it('hit: the next call returns fromCache without contacting DPS', async () => {
    const { device, file } = await fresh();
    await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    const before = { ...lab.counters.connections, registrations: lab.counters.registrations };
    const again = await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    assert.equal(again.fromCache, true);
    assert.equal(again.assignedHub, lab.hub.host);
    assert.equal(again.hub.verdict, 'private-in-vnet');
    assert.equal(lab.counters.connections.dps, before.dps);
    assert.equal(lab.counters.registrations, before.registrations);
  });

  it('certificate changed: the cached assignment is not used; the device registers again', async () => {
    const { device, file } = await fresh();
    await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...record, credential: `x509:${'0'.repeat(64)}` }), { mode: 0o600 });
    const before = lab.counters.registrations;
    const again = await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    assert.equal(again.fromCache, false);
    assert.equal(lab.counters.registrations, before + 1);
    assert.notEqual(
      (JSON.parse(readFileSync(file, 'utf8')) as { credential: string }).credential,
      `x509:${'0'.repeat(64)}`,
    );
  });

  it('forceReprovision ignores a good cache', async () => {
    const { device, file } = await fresh();
    await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    const before = lab.counters.registrations;
    const again = await provisionDevice(optionsFor(lab, device, { cache: { path: file }, forceReprovision: true }));
    assert.equal(again.fromCache, false);
    assert.equal(lab.counters.registrations, before + 1);
  });

  it('corrupt file: reported as DPS_CACHE_CORRUPT (warning), replaced, never fatal', async () => {
    const { device, file } = await fresh();
    await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    writeFileSync(file, '{"version":1,"assignedHub": tru');
    const result = await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    assert.equal(result.fromCache, false);
    const corrupt = result.findings.find((f) => f.code === 'DPS_CACHE_CORRUPT');
    assert.ok(corrupt);
    assert.equal(corrupt.severity, 'warning');
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { assignedHub: string }).assignedHub, lab.hub.host);
  });

  it('connectDevice: the hub rejects the cached identity → re-provisions once and connects', async () => {
    const { device, file } = await fresh();
    await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // The hub does not know this device id (deleted on the hub, say): CONNACK not authorized.
    writeFileSync(file, JSON.stringify({ ...record, deviceId: 'deleted-on-the-hub' }), { mode: 0o600 });
    const before = lab.counters.registrations;
    const { client, result, reprovisioned } = await connectDevice(optionsFor(lab, device, { cache: { path: file } }), {
      tls: { ca: lab.caPem },
      port: lab.hub.port,
      wsPort: lab.hub.wsPort,
    });
    try {
      assert.equal(reprovisioned, true);
      assert.equal(result.fromCache, false);
      assert.equal(result.deviceId, device.deviceId);
      assert.equal(lab.counters.registrations, before + 1);
    } finally {
      await client.close();
    }
  });
});
