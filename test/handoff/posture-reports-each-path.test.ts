import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Message, type Twin } from 'azure-iot-device';
import { connectDevice, InvalidOptionError, POSTURE_MAX_BYTES, reportPosture } from '../../src/index';
import type { ConnectedDevice, LabDevice, LabHandle, PostureDocument, ProvisionOptions } from '../../src/index';
import { postureDigest } from '../../src/handoff/posture';
import { startTestProxy } from '../support/proxy';
import { optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

// Each path a device can take to its hub, and what it then tells the fleet through its twin. The device side is the
// unmodified SDK; the lab hub keeps the twin (merge patch, $version, limits) the way IoT Hub does.
describe('posture: each device reports the path it took to its twin', function () {
  this.timeout(90_000);
  let lab: LabHandle;
  let dir: string;
  const open: ConnectedDevice[] = [];
  /** Every device that reported, for the secrets check. */
  const made: LabDevice[] = [];
  before(async () => {
    lab = await startTestLab();
    dir = mkdtempSync(path.join(os.tmpdir(), 'posture-'));
  });
  after(async () => {
    for (const c of open) await c.client.close().catch(() => undefined);
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    lab.setDnsView('private', 'hub');
    lab.setHubPublicAccess(false);
    lab.setTwinPatchFault(undefined);
  });

  const hubOptions = {
    get tls() {
      return { ca: lab.caPem };
    },
    get port() {
      return lab.hub.port;
    },
    get wsPort() {
      return lab.hub.wsPort;
    },
  };
  const connect = async (
    options: ProvisionOptions,
    extra: Record<string, unknown> = {},
    posture: Parameters<typeof connectDevice>[2] = { posture: true },
  ): Promise<ConnectedDevice> => {
    const c = await connectDevice(options, { ...hubOptions, ...extra }, posture);
    open.push(c);
    return c;
  };
  const reported = (device: LabDevice): PostureDocument => {
    if (!made.includes(device)) made.push(device);
    return lab.reportedProperties(device.deviceId)?.privateLink as PostureDocument;
  };

  it('healthy: private DPS and hub, the addresses dialled inside the ranges, no findings', async () => {
    const device = await lab.createDevice('posture-healthy', 'x509-individual');
    const c = await connect(optionsFor(lab, device));
    const report = await c.posture!;
    assert.equal(report.status, 'sent');
    const doc = reported(device);
    assert.deepEqual(doc, report.document);
    assert.equal(doc.schema, 1);
    assert.equal(doc.dps.verdict, 'private-in-vnet');
    assert.equal(doc.hub.verdict, 'private-in-vnet');
    assert.deepEqual([doc.dps.address, doc.dps.inRange], [lab.dps.address, true]);
    assert.deepEqual([doc.hub.address, doc.hub.inRange], [lab.hub.address, true]);
    assert.equal(doc.dps.resolvers, lab.dnsServer);
    assert.match(doc.dps.tls ?? '', /^TLSv1\.[23]$/);
    assert.match(doc.hub.tls ?? '', /^TLSv1\.[23]$/);
    assert.deepEqual(
      [doc.proxy, doc.fromCache, doc.reprovisioned, doc.errors, doc.dnsChanges],
      [false, false, false, 0, 0],
    );
    assert.deepEqual(doc.findings, {});
    assert.ok(report.bytes <= POSTURE_MAX_BYTES, `${report.bytes} bytes`);
  });

  it('warn with a public answer: the hub resolved publicly and the device went there — the twin says so', async () => {
    const device = await lab.createDevice('posture-public', 'symmetric-key');
    lab.setHubPublicAccess(true);
    lab.setDnsView('public', 'hub');
    const network = { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer], policy: 'warn' as const };
    const c = await connect(optionsFor(lab, device, { network }), { policy: 'warn' });
    assert.equal((await c.posture!).status, 'sent');
    const doc = reported(device);
    assert.equal(doc.policy, 'warn');
    assert.equal(doc.dps.verdict, 'private-in-vnet');
    assert.notEqual(doc.hub.verdict, 'private-in-vnet');
    assert.deepEqual([doc.hub.address, doc.hub.inRange], [lab.hub.publicAddress, false]);
    assert.ok(doc.errors > 0);
    assert.ok(Object.values(doc.findings).includes('error'));
    assert.ok(Object.keys(doc.findings).some((code) => code.startsWith('HUB_') || code.startsWith('DNS_')));
  });

  it('through a CONNECT proxy: proxy true, the proxy is the address dialled, and no proxy URL in the document', async () => {
    const device = await lab.createDevice('posture-proxy', 'x509-individual');
    const proxy = await startTestProxy('127.10.0.5', {
      [lab.dps.host]: lab.dps.address,
      [lab.hub.host]: lab.hub.address,
    });
    try {
      const url = `http://127.10.0.5:${proxy.port}`;
      const c = await connect(optionsFor(lab, device, { transport: 'mqtt-ws', proxy: url }));
      assert.equal((await c.posture!).status, 'sent');
      const doc = reported(device);
      assert.deepEqual([doc.proxy, doc.transport], [true, 'mqtt-ws']);
      assert.deepEqual([doc.dps.address, doc.hub.address, doc.hub.inRange], ['127.10.0.5', '127.10.0.5', true]);
      assert.equal(doc.findings.PROXY_IN_PATH, 'warning');
      assert.ok(!JSON.stringify(doc).includes(String(proxy.port)), 'the proxy port is not in the document');
      assert.ok(!JSON.stringify(doc).includes('http://'));
    } finally {
      await proxy.close();
    }
  });

  it('stale cache: the hub refused the cached identity, the device re-provisioned, and reports reprovisioned', async () => {
    const device = await lab.createDevice('posture-stale', 'x509-individual');
    const file = path.join(dir, 'stale.json');
    await connect(optionsFor(lab, device, { cache: { path: file } }), {}, {});
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...record, deviceId: 'deleted-on-the-hub' }), { mode: 0o600 });
    const c = await connect(optionsFor(lab, device, { cache: { path: file } }));
    assert.equal(c.reprovisioned, true);
    assert.equal((await c.posture!).status, 'sent');
    const doc = reported(device);
    assert.deepEqual([doc.reprovisioned, doc.fromCache, doc.dps.address], [true, false, lab.dps.address]);
  });

  it('an unchanged posture is not sent again; the digest is kept next to the cache (0600) and ignores the time', async () => {
    const device = await lab.createDevice('posture-unchanged', 'symmetric-key');
    const file = path.join(dir, 'unchanged.json');
    const first = await (await connect(optionsFor(lab, device, { cache: { path: file } }))).posture!;
    assert.equal(first.status, 'sent');
    // From the cache: DPS not dialled, so the posture changed (fromCache, no DPS address) and is sent once more.
    const second = await (await connect(optionsFor(lab, device, { cache: { path: file } }))).posture!;
    assert.equal(second.status, 'sent');
    assert.deepEqual([reported(device).fromCache, reported(device).dps.address], [true, undefined]);
    const patches = lab.counters.twinPatches;
    const third = await (await connect(optionsFor(lab, device, { cache: { path: file } }))).posture!;
    assert.equal(third.status, 'unchanged');
    assert.equal(postureDigest({ ...third.document, at: '1970-01-01T00:00:00.000Z' }), postureDigest(third.document));
    assert.equal(lab.counters.twinPatches, patches, 'no PATCH for an unchanged posture');
    const stored = JSON.parse(readFileSync(`${file}.posture`, 'utf8')) as { digest: string };
    assert.equal(stored.digest, postureDigest(third.document));
    assert.equal(statSync(`${file}.posture`).mode & 0o777, 0o600);
  });

  it('a hub that refuses the PATCH leaves the device working: failed with a HUB_POSTURE_NOT_REPORTED warning', async () => {
    const device = await lab.createDevice('posture-refused', 'symmetric-key');
    lab.setTwinPatchFault({ status: 500 });
    const c = await connect(optionsFor(lab, device), {}, { posture: { maxAttempts: 3, baseDelayMs: 20 } });
    // Telemetry goes out while the report retries.
    await c.client.sendEvent(new Message('while the posture retries'));
    const report = await c.posture!;
    assert.equal(report.status, 'failed');
    assert.equal(report.attempts, 3);
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.severity]),
      [['HUB_POSTURE_NOT_REPORTED', 'warning']],
    );
    assert.match(report.findings[0].message, /privateLink.*3 time/);
    await c.client.sendEvent(new Message('after'));
    assert.deepEqual(
      lab.received(device.deviceId).map((m) => m.payload.toString()),
      ['while the posture retries', 'after'],
    );
    assert.equal(lab.reportedProperties(device.deviceId)?.privateLink, undefined);
  });

  it('a refusal that clears is retried with back-off and then sent', async () => {
    const device = await lab.createDevice('posture-retried', 'symmetric-key');
    lab.setTwinPatchFault({ status: 429, times: 2 });
    const c = await connect(optionsFor(lab, device), {}, { posture: { baseDelayMs: 20 } });
    const report = await c.posture!;
    assert.deepEqual([report.status, report.attempts], ['sent', 3]);
    assert.equal(reported(device).schema, 1);
  });

  it('a closed client or a fired signal ends the report as failed, never as a rejection', async () => {
    const device = await lab.createDevice('posture-closed', 'symmetric-key');
    const c = await connect(optionsFor(lab, device), {}, {});
    const stop = new AbortController();
    stop.abort();
    const aborted = await reportPosture(c.client, c.result, { signal: stop.signal });
    assert.deepEqual([aborted.status, aborted.attempts], ['failed', 0]);
    await c.client.close();
    // The SDK would open a closed client again for a twin call: nothing is dialled, nothing written.
    const connections = lab.counters.connections.hub;
    const closed = await reportPosture(c.client, c.result, { maxAttempts: 2, baseDelayMs: 10 });
    assert.deepEqual([closed.status, closed.attempts], ['failed', 0]);
    assert.equal(closed.findings[0].code, 'HUB_POSTURE_NOT_REPORTED');
    assert.match(closed.findings[0].message, /the client was closed/);
    assert.equal(lab.counters.connections.hub, connections);
    assert.equal(lab.reportedProperties(device.deviceId)?.privateLink, undefined);
  });

  it('a twin the application already filled to the 32 KB limit: 400, failed, device working', async () => {
    const device = await lab.createDevice('posture-full', 'symmetric-key');
    const c = await connect(optionsFor(lab, device), {}, {});
    const twin = await c.client.getTwin();
    // 32 536 bytes as IoT Hub counts them: the posture (about 600) no longer fits under 32 768.
    const fill = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`app${i}`, 'x'.repeat(i < 8 ? 4000 : 500)]));
    await new Promise<void>((resolve, reject) =>
      (twin as Twin).properties.reported.update(fill, (e?: Error) => (e ? reject(e) : resolve())),
    );
    const report = await reportPosture(c.client, c.result, { maxAttempts: 1 });
    assert.equal(report.status, 'failed');
    assert.match(report.findings[0].message, /32768 bytes/);
    await c.client.sendEvent(new Message('still online'));
    assert.equal(lab.received(device.deviceId).at(-1)?.payload.toString(), 'still online');
  });

  it('fields the last writer left (a finding that went away) are removed, not kept by the merge', async () => {
    const device = await lab.createDevice('posture-cleared', 'symmetric-key');
    const c = await connect(optionsFor(lab, device), {}, {});
    const twin = await c.client.getTwin();
    const leftover = { pl: { findings: { DNS_PUBLIC_ADDRESS: 'error' }, errors: 1, old: 1 } };
    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update(leftover, (e?: Error) => (e ? reject(e) : resolve())),
    );
    made.push(device);
    const report = await reportPosture(c.client, c.result, { propertyName: 'pl' });
    assert.equal(report.status, 'sent');
    assert.deepEqual(lab.reportedProperties(device.deviceId)?.pl, report.document);
  });

  it('the reported documents never hold a key, certificate, passphrase, SAS token or proxy credential', () => {
    assert.ok(made.length >= 5);
    for (const device of made) {
      const text = JSON.stringify(lab.reportedProperties(device.deviceId));
      assert.ok(text.includes('"schema":1'), `${device.deviceId} reported`);
      const own =
        'cert' in device.auth
          ? [device.auth.key.split('\n')[1], device.auth.cert.split('\n')[1]]
          : [device.auth.symmetricKey];
      for (const s of [...own, 'BEGIN', 'PRIVATE KEY', 'SharedAccessSignature', 'sig=', 'passphrase', '@', 'http://'])
        assert.ok(!text.includes(s), `${device.deviceId}: ${s.slice(0, 12)}…`);
    }
  });

  it('a bad property name or an option of the wrong type is an InvalidOptionError naming it, before any packet', async () => {
    const device = await lab.createDevice('posture-bad', 'symmetric-key');
    const spy = spyOnConnector();
    for (const [posture, option] of [
      [{ propertyName: 'private.link' }, 'deviceOptions.posture.propertyName'],
      [{ propertyName: '$privateLink' }, 'deviceOptions.posture.propertyName'],
      [{ propertyName: 'a b' }, 'deviceOptions.posture.propertyName'],
      [{ propertyName: 7 }, 'deviceOptions.posture.propertyName'],
      [{ maxAttempts: '3' }, 'deviceOptions.posture.maxAttempts'],
      [{ baseDelayMs: -1 }, 'deviceOptions.posture.baseDelayMs'],
      [{ digestPath: 5 }, 'deviceOptions.posture.digestPath'],
      ['yes', 'deviceOptions.posture'],
    ] as const) {
      await assert.rejects(
        connectDevice(optionsFor(lab, device, { connector: spy.connector }), hubOptions, { posture: posture as never }),
        (e: InvalidOptionError) => e instanceof InvalidOptionError && e.option === option,
        option,
      );
    }
    assert.deepEqual(spy.calls, []);
    const c = await connect(optionsFor(lab, device), {}, {});
    await assert.rejects(
      reportPosture(c.client, c.result, { attemptTimeoutMs: 'soon' as never }),
      (e: InvalidOptionError) => e.option === 'options.attemptTimeoutMs',
    );
  });
});
