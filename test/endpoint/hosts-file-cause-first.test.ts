// A hosts-file entry is the cause of whatever is wrong with the answer it gives: it is the first finding, as severe
// as what it causes, and the consequences (DNS_OUTSIDE_VNET…) follow it.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verifyEndpoint } from '../../src/endpoint';
import { renderFindingsText } from '../../src/findings/render';

const HOST = 'mydps.azure-devices-provisioning.net';
const NETWORK = { expectedCidrs: ['10.1.0.0/16'] };

describe('hosts file override: the cause comes first', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dpl-hosts-cause-'));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  /** getaddrinfo answering what the hosts file says (the systemLookup seam; no system resolver is asked). */
  async function reportFor(address: string): Promise<Awaited<ReturnType<typeof verifyEndpoint>>> {
    const hostsFile = path.join(tmp, `hosts-${address}`);
    await writeFile(hostsFile, `127.0.0.1 localhost\n${address} ${HOST}\n`);
    return verifyEndpoint(HOST, NETWORK, {
      hostsFile,
      systemLookup: async () => [{ address, family: 4 }],
    });
  }

  it('a hosts entry outside the VNET: DNS_HOSTS_FILE_OVERRIDE first, an error, then DNS_OUTSIDE_VNET', async () => {
    const report = await reportFor('10.9.9.9');
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.severity]),
      [
        ['DNS_HOSTS_FILE_OVERRIDE', 'error'],
        ['DNS_OUTSIDE_VNET', 'error'],
      ],
    );
    assert.deepEqual(report.findings[0]?.evidence['causes'], ['DNS_OUTSIDE_VNET']);
    const text = renderFindingsText(report.findings);
    assert.ok(
      text.indexOf('DNS_HOSTS_FILE_OVERRIDE') < text.indexOf('DNS_OUTSIDE_VNET'),
      `the cause is shown first:\n${text}`,
    );
  });

  it('a hosts entry to a public address: the override first, then DNS_PUBLIC_ADDRESS', async () => {
    const report = await reportFor('20.61.4.5');
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.severity]),
      [
        ['DNS_HOSTS_FILE_OVERRIDE', 'error'],
        ['DNS_PUBLIC_ADDRESS', 'error'],
      ],
    );
  });

  it('a hosts entry inside the VNET is still only a warning', async () => {
    const report = await reportFor('10.1.7.7');
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.severity]),
      [['DNS_HOSTS_FILE_OVERRIDE', 'warning']],
    );
  });
});
