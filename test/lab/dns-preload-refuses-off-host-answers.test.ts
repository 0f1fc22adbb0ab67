import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { LabHandle } from '../../src/lab/types';
import { startTestLab } from '../support/provision-lab';

const PRELOAD = path.join(__dirname, 'fixtures', 'lab-dns-preload.js');

/** dns.lookup(name, { all: true }) in a child with the preload, as the plain-SDK children run it. */
function lookupInChild(
  lab: LabHandle,
  name: string,
): Promise<{ code?: string; message?: string; addresses?: { address: string }[] }> {
  const script = `require('node:dns').lookup(${JSON.stringify(name)}, { all: true }, (e, a) => console.log(JSON.stringify(e ? { code: e.code, message: e.message } : { addresses: a })))`;
  return runInChild(lab, script) as Promise<{ code?: string; message?: string; addresses?: { address: string }[] }>;
}

/**
 * Opens a socket with `how` ('net' or 'tls') to host:port in a child with the preload; reports 'connected' or the
 * error.
 * 0.0.0.0 stands for a non-loopback literal: were the guard missing, Linux would still keep that connection on this
 * host.
 */
function connectInChild(
  lab: LabHandle,
  how: 'net' | 'tls',
  host: string,
  port: number,
): Promise<{ connected?: boolean; code?: string; message?: string }> {
  const open =
    how === 'net'
      ? `require('node:net').connect({ host: ${JSON.stringify(host)}, port: ${port} })`
      : `require('node:tls').connect({ host: ${JSON.stringify(host)}, port: ${port}, rejectUnauthorized: false })`;
  const script = `const s = ${open}; s.once('${how === 'net' ? 'connect' : 'secureConnect'}', () => { console.log(JSON.stringify({ connected: true })); s.destroy(); }); s.once('error', (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
  return runInChild(lab, script) as Promise<{ connected?: boolean; code?: string; message?: string }>;
}

function runInChild(lab: LabHandle, script: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--require', PRELOAD, '-e', script],
      { env: { PATH: process.env.PATH, DPL_LAB_DNS: lab.dnsServer }, timeout: 10_000 },
      (err, out, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(out.trim()) as unknown);
      },
    );
  });
}

describe('lab DNS preload (plain-SDK children): only loopback answers are ever handed out', () => {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  it('the private view answers the loopback private endpoint', async () => {
    lab.setDnsView('private');
    const r = await lookupInChild(lab, lab.dps.host);
    assert.deepEqual(
      r.addresses?.map((a) => a.address),
      [lab.dps.address],
    );
  });

  it("the outside-vnet view's 10.99.0.4 is refused with ENOTFOUND naming the address, never returned", async () => {
    lab.setDnsView('outside-vnet');
    try {
      const r = await lookupInChild(lab, lab.dps.host);
      assert.equal(r.addresses, undefined);
      assert.equal(r.code, 'ENOTFOUND');
      assert.match(r.message ?? '', /10\.99\.0\.4, not loopback/);
    } finally {
      lab.setDnsView('private');
    }
  });

  it('a non-loopback IP literal is refused by dns.lookup, naming it, instead of passed through', async () => {
    const r = await lookupInChild(lab, '10.99.0.4');
    assert.equal(r.addresses, undefined);
    assert.equal(r.code, 'ENOTFOUND');
    assert.match(r.message ?? '', /refused to dial 10\.99\.0\.4, an IP literal that is not loopback/);
  });

  it('net.connect and tls.connect to a non-loopback literal fail before dialling; a loopback literal still connects', async () => {
    for (const how of ['net', 'tls'] as const) {
      const refused = await connectInChild(lab, how, '0.0.0.0', lab.dps.port);
      assert.equal(refused.connected, undefined, `${how}: must not connect`);
      assert.equal(refused.code, 'ENOTFOUND');
      assert.match(refused.message ?? '', new RegExp(`refused to dial 0\\.0\\.0\\.0:${lab.dps.port}`));
      const allowed = await connectInChild(lab, how, lab.dps.address, lab.dps.port);
      assert.deepEqual(allowed, { connected: true }, `${how}: loopback ${lab.dps.address}`);
    }
  });
});
