import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { LabHandle } from '../../src/lab/types';
import { startTestLab } from '../support/provision-lab';

const PRELOAD = path.join(__dirname, 'fixtures', 'lab-dns-preload.js');

/** dns.lookup(name, { all: true }) in a child with the preload, as the plain-SDK children run it. */
function lookupInChild(lab: LabHandle, name: string): Promise<{ code?: string; message?: string; addresses?: { address: string }[] }> {
  const script = `require('node:dns').lookup(${JSON.stringify(name)}, { all: true }, (e, a) => console.log(JSON.stringify(e ? { code: e.code, message: e.message } : { addresses: a })))`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--require', PRELOAD, '-e', script], { env: { PATH: process.env.PATH, DPL_LAB_DNS: lab.dnsServer }, timeout: 10_000 }, (err, out, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(out.trim()) as { code?: string; message?: string; addresses?: { address: string }[] });
    });
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
    assert.deepEqual(r.addresses?.map((a) => a.address), [lab.dps.address]);
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
});
