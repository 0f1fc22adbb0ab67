// dps-check --cache --register tells a stale cache (the hub refuses the cached identity) from a DPS problem (the
// cached identity still connects), against the lab. Every run passes --dns-server <lab DNS>.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startLab } from '../../src/lab/lab';
import type { LabDevice, LabHandle } from '../../src/lab/types';
import { provisionDevice } from '../../src/index';
import { writeCache, type CacheRecord } from '../../src/provision/cache';
import { optionsFor } from '../support/provision-lab';
import { type JsonDoc, jsonOf, labDeviceArgs, runCli } from './cli-helper';
import { put, tempDir } from './fixtures';

function registerOf(doc: JsonDoc): JsonDoc['checks'][number] {
  const c = doc.checks.find((x) => x.id === 'dps-register');
  assert.ok(c, 'no dps-register in the report');
  return c;
}

describe('dps-check --cache --register: stale cache or DPS problem (lab)', function () {
  this.timeout(120_000);
  let lab: LabHandle;
  let labDevice: LabDevice;
  let args: string[];
  let cacheFile: string;
  const dir = tempDir('dps-check-cache-id-');

  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0 });
    labDevice = await lab.createDevice('cache-id-dev', 'x509-individual');
    assert.ok('cert' in labDevice.auth);
    cacheFile = `${dir}/assignment.json`;
    // The device app's own cache, written by a real registration.
    await provisionDevice(optionsFor(lab, labDevice, { cache: { path: cacheFile } }));
    args = [
      ...labDeviceArgs(lab, put(dir, 'lab-ca.pem', lab.caPem), labDevice.registrationId),
      '--cert',
      put(dir, 'dev.pem', labDevice.auth.cert),
      '--key',
      put(dir, 'dev.key', labDevice.auth.key),
      '--register',
    ];
  });
  after(async () => {
    lab.setFault(undefined);
    await lab?.close();
  });

  it('a cached identity the hub does not know: "the cache is stale", the hub refused it, delete the cache file', async () => {
    const record = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheRecord;
    const stale = `${dir}/stale.json`;
    // A device id the lab hub has no identity for: a device deleted on the hub, or re-imaged under another id.
    await writeCache(stale, { ...record, deviceId: 'pi-before-reimage' });
    const refusedBefore = lab.counters.refused;
    const run = await runCli([...args, '--cache', stale, '--json']);
    const register = registerOf(jsonOf(run));
    assert.equal(register.result, 'warning', JSON.stringify(register));
    assert.equal(register.evidence['cachedIdentity'], 'refused');
    assert.match(
      register.detail ?? '',
      /the cache is stale: it names .* as pi-before-reimage, that hub refused the identity \(HUB_UNAUTHORIZED\) while DPS registers the device/,
    );
    assert.ok((register.detail ?? '').includes(`delete ${stale}`), register.detail);
    // The hub really was asked: it refused a CONNECT.
    assert.ok(lab.counters.refused > refusedBefore);
    const text = await runCli([...args, '--cache', stale]);
    assert.match(text.stdout, /the cache is stale/);
    assert.ok(text.stdout.replace(/\s+/g, ' ').includes(stale), text.stdout);
  });

  it('DPS fails while the cached identity connects: a DPS problem, the cache is fine', async () => {
    lab.setFault({ kind: 'failed' }, { registrationId: labDevice.registrationId });
    try {
      const run = await runCli([...args, '--cache', cacheFile, '--json']);
      const doc = jsonOf(run);
      assert.equal(doc.checks.find((x) => x.id === 'dps-cache')?.result, 'ok');
      const register = registerOf(doc);
      assert.equal(register.result, 'error', JSON.stringify(register));
      assert.equal(register.evidence['cachedIdentity'], 'accepted');
      assert.match(register.detail ?? '', /a DPS problem, the cache is fine: .* as cache-id-dev connects/);
      assert.doesNotMatch(register.detail ?? '', /stale/);
    } finally {
      lab.setFault(undefined);
    }
  });

  it('a cache DPS agrees with and the hub accepts: ok, and the evidence says the cached identity connects', async () => {
    const register = registerOf(jsonOf(await runCli([...args, '--cache', cacheFile, '--json'])));
    assert.equal(register.result, 'ok', JSON.stringify(register));
    assert.equal(register.evidence['cachedIdentity'], 'accepted');
  });
});
