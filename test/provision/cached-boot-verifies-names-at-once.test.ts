import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { provisionDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';

/**
 * A DNS relay in front of the lab DNS that holds every answer until it has been asked for every name of `names` (or
 * `giveUpMs` passed, so a sequential client still finishes): it records whether a second name was asked before any
 * answer was let through, which only a client that sends both before awaiting either can do.
 */
async function startGatingRelay(
  upstream: string,
  names: string[],
  giveUpMs: number,
): Promise<{ endpoint: string; overlapped: () => boolean; close(): void }> {
  const [upAddress, upPort] = upstream.split(':') as [string, string];
  const server = dgram.createSocket('udp4');
  const asked = new Set<string>();
  const held: (() => void)[] = [];
  let gating = true;
  let overlapped = false;
  const release = (): void => {
    gating = false;
    for (const send of held.splice(0)) send();
  };
  const timer = setTimeout(release, giveUpMs);
  server.on('message', (query, client) => {
    const name = (dnsPacket.decode(query).questions?.[0]?.name ?? '').toLowerCase();
    if (names.includes(name)) {
      if (gating && asked.size > 0 && !asked.has(name)) overlapped = true;
      asked.add(name);
    }
    const up = dgram.createSocket('udp4');
    up.on('message', (answer) => {
      up.close();
      const send = (): void => server.send(answer, client.port, client.address);
      if (gating) held.push(send);
      else send();
      if (gating && names.every((n) => asked.has(n))) release();
    });
    up.send(query, Number(upPort), upAddress);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  return {
    endpoint: `127.0.0.1:${server.address().port}`,
    overlapped: () => overlapped,
    close: () => {
      clearTimeout(timer);
      server.close();
    },
  };
}

describe('provision: a boot from the cached assignment verifies the DPS and hub names at once', () => {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  it('the hub name is asked while the answer for the DPS name is still outstanding', async () => {
    const device = await lab.createDevice('cached-at-once', 'x509-individual');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dpl-cache-once-')), 'dps.json');
    await provisionDevice(optionsFor(lab, device, { cache: { path: file } }));
    const relay = await startGatingRelay(lab.dnsServer, [lab.dps.host, lab.hub.host], 1500);
    try {
      const network = { expectedCidrs: lab.vnetCidrs, dnsServers: [relay.endpoint] };
      const again = await provisionDevice(
        optionsFor(lab, device, { cache: { path: file }, network, timeoutMs: 20_000 }),
      );
      assert.equal(again.fromCache, true);
      assert.equal(again.dps.verdict, 'private-in-vnet');
      assert.equal(again.hub.verdict, 'private-in-vnet');
      assert.equal(relay.overlapped(), true, 'the hub name was asked only after the DPS answer came back');
    } finally {
      relay.close();
    }
  });
});
