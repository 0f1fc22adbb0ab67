import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { connectDevice, reportPosture, reverifyHubClient } from '../../src/index';
import type { ConnectedDevice, LabDevice, LabHandle, ProvisionOptions } from '../../src/index';
import { queryTwins } from '../../src/lab';
import { startTestProxy } from '../support/proxy';
import { optionsFor, startTestLab } from '../support/provision-lab';

/** The README's operator queries, by the label of the `-- label:` comment above each. */
function readmeQueries(): Map<string, string> {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Fleet posture in device twins'));
  const block = /```sql\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const queries = new Map<string, string>();
  let label = '';
  for (const line of block.split('\n')) {
    const comment = /^-- ([\w.-]+):/.exec(line);
    if (comment) label = comment[1];
    else if (line.startsWith('SELECT')) queries.set(label, line);
  }
  return queries;
}

// Each device takes one path; each README query must find exactly the devices that took its path. The queries are
// read from the README, so the documented ones are the tested ones.
describe('posture: the README queries find exactly the devices that took each path', function () {
  this.timeout(120_000);
  let lab: LabHandle;
  let dir: string;
  const open: ConnectedDevice[] = [];
  const ids: Record<string, string> = {};
  before(async () => {
    lab = await startTestLab();
    dir = mkdtempSync(path.join(os.tmpdir(), 'posture-queries-'));
    await provisionTheFleet();
  });
  after(async () => {
    for (const c of open) await c.client.close().catch(() => undefined);
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const hub = (): Record<string, unknown> => ({ tls: { ca: lab.caPem }, port: lab.hub.port, wsPort: lab.hub.wsPort });
  const warn = (): ProvisionOptions['network'] => ({
    expectedCidrs: lab.vnetCidrs,
    dnsServers: [lab.dnsServer],
    policy: 'warn',
  });
  const connect = async (
    name: string,
    options: (d: LabDevice) => ProvisionOptions,
    extra: Record<string, unknown> = {},
    posture = true,
  ): Promise<ConnectedDevice> => {
    const device = await lab.createDevice(`fleet-${name}`, 'symmetric-key');
    ids[name] = device.deviceId;
    const c = await connectDevice(options(device), { ...hub(), ...extra }, { posture });
    open.push(c);
    if (c.posture) assert.equal((await c.posture).status, 'sent', name);
    return c;
  };

  async function provisionTheFleet(): Promise<void> {
    await connect('healthy', (d) => optionsFor(lab, d));

    lab.setHubPublicAccess(true);
    lab.setDnsView('public', 'hub');
    await connect('public-hub', (d) => optionsFor(lab, d, { network: warn() }), { policy: 'warn' });
    lab.setDnsView('private', 'hub');
    lab.setHubPublicAccess(false);

    lab.setDnsView('mixed', 'dps');
    await connect('mixed-dps', (d) => optionsFor(lab, d, { network: warn() }), { policy: 'warn' });
    lab.setDnsView('private', 'dps');

    const proxy = await startTestProxy('127.10.0.5', {
      [lab.dps.host]: lab.dps.address,
      [lab.hub.host]: lab.hub.address,
    });
    try {
      const url = `http://127.10.0.5:${proxy.port}`;
      await connect('proxy', (d) => optionsFor(lab, d, { transport: 'mqtt-ws', proxy: url }));
    } finally {
      await proxy.close();
    }

    // A stale cache: the hub no longer knows the cached device id, so the device provisions again.
    const file = path.join(dir, 'stale.json');
    const stale = await lab.createDevice('fleet-stale', 'symmetric-key');
    ids.stale = stale.deviceId;
    open.push(await connectDevice(optionsFor(lab, stale, { cache: { path: file } }), hub()));
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...record, deviceId: 'deleted-on-the-hub' }), { mode: 0o600 });
    const again = await connectDevice(optionsFor(lab, stale, { cache: { path: file } }), hub(), { posture: true });
    open.push(again);
    assert.equal(again.reprovisioned, true);
    assert.equal((await again.posture)?.status, 'sent');

    // An old TLS stack: this process's default maximum is TLS 1.2 while the device connects.
    const max = tls.DEFAULT_MAX_VERSION;
    tls.DEFAULT_MAX_VERSION = 'TLSv1.2';
    try {
      await connect('old-tls', (d) => optionsFor(lab, d));
    } finally {
      tls.DEFAULT_MAX_VERSION = max;
    }

    await connect('silent', (d) => optionsFor(lab, d), {}, false);

    // The hub's private endpoint is recreated at another address: the hub client sees the DNS answer change.
    const moved = await connect('hub-moved', (d) => optionsFor(lab, d));
    await lab.moveHubEndpoint('127.10.0.21');
    await reverifyHubClient(moved.client);
    assert.equal((await reportPosture(moved.client, moved.result)).status, 'sent');
  }

  it('lists only the paths the README documents, and documents every one tested', () => {
    assert.deepEqual([...readmeQueries().keys()].sort(), Object.keys(EXPECTED).sort());
  });

  it("the Pi sample's guide shows only queries tested here", () => {
    const guide = readFileSync(path.join(__dirname, '..', '..', 'samples', 'raspberry-pi', 'README.md'), 'utf8');
    const shown = guide.split('\n').filter((l) => l.startsWith('SELECT '));
    assert.ok(shown.length >= 5);
    const tested = [...readmeQueries().values()];
    for (const q of shown) assert.ok(tested.includes(q), q);
  });

  const EXPECTED: Record<string, string[]> = {
    'dps-not-private': ['mixed-dps'],
    'public-path': ['public-hub', 'mixed-dps'],
    'dialled-outside': ['public-hub'],
    'hub-public-answer': ['public-hub'],
    'tls-below-1.3': ['old-tls'],
    'behind-proxy': ['proxy'],
    // DNS_ANSWER_CHANGED is an error: the moved hub's device is among them.
    'any-error': ['public-hub', 'hub-moved'],
    reprovisioned: ['stale'],
    'dns-changed': ['hub-moved'],
    'never-reported': ['silent'],
  };
  for (const [label, devices] of Object.entries(EXPECTED)) {
    it(`${label}: finds ${devices.join(', ')}`, () => {
      const sql = readmeQueries().get(label);
      assert.ok(sql, `the README has a query labelled ${label}`);
      const found = queryTwins(lab, sql).map((r) => r.deviceId as string);
      assert.deepEqual(found.sort(), devices.map((d) => ids[d]).sort(), sql);
    });
  }
});
