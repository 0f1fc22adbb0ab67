// Which hop the HTML report marks "fails here", one lab DNS view at a time: the box that is wrong (the resolver that
// failed, the name that does not exist, the address outside the VNET, the empty answer), and only that one. Read from
// the page's own markup; the browser tests (report-html-lab, report-html-escaping) show Chromium renders the same.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { dpsCheck } from '../../src/checks/main';
import { startLab } from '../../src/lab/lab';
import type { LabDnsView, LabHandle } from '../../src/lab/types';
import { tempDir } from './fixtures';
import { elementsWithClass, visibleText } from './report-html-chromium';

describe('dps-check --report FILE.html marks the failing hop', function () {
  this.timeout(120_000);
  let lab: LabHandle;
  const dir = tempDir('report-html-hop-');

  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0, mqttPort: 0, wsPort: 0 });
  });
  after(async () => {
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => lab.setDnsView('private', 'dps'));

  /** The visible text of each marked element of the page dps-check writes with `view` in place. */
  async function failingHops(view: LabDnsView): Promise<{ marked: string[]; page: string }> {
    lab.setDnsView(view, 'dps');
    const file = path.join(dir, `${view}.html`);
    const argv = ['--host', lab.dps.host, '--id-scope', lab.dps.idScope, '--dns-server', lab.dnsServer];
    argv.push('--expect-cidr', lab.vnetCidrs[0] as string, '--port', String(lab.dps.port));
    argv.push('--ws-port', String(lab.dps.wsPort), '--timeout-ms', '1500', '--report', file);
    const code = await dpsCheck(argv, { stdout: { write: () => true }, stderr: { write: () => true }, env: {} });
    assert.equal(code, 1);
    const page = readFileSync(file, 'utf8');
    return { marked: elementsWithClass(page, 'failing').map(visibleText), page };
  }

  const host = (): string => lab.dps.host.replace(/\./g, '\\.');
  const cases: [LabDnsView, () => RegExp][] = [
    ['nxdomain', () => new RegExp(`^× ${host()} name asked NXDOMAIN ✖ fails here$`)],
    [
      'privatelink-missing',
      () => /^× lab-dps\.privatelink\.azure-devices-provisioning\.net CNAME privatelink zone NXDOMAIN/,
    ],
    ['servfail', () => /^× resolver 127\.0\.0\.53:\d+ SERVFAIL \d/],
    ['drop', () => /^× resolver 127\.0\.0\.53:\d+ no answer timeout/],
    ['outside-vnet', () => /^× 10\.99\.0\.4 private address outside the VNET/],
    ['no-privatelink', () => /^× 127\.200\.0\.1 loopback address outside the VNET/],
  ];
  for (const [view, expected] of cases) {
    it(`${view}: exactly one hop is marked, the one that is wrong`, async () => {
      const { marked, page } = await failingHops(view);
      assert.equal(marked.length, 1, `marked: ${JSON.stringify(marked)}\n${visibleText(page)}`);
      assert.match(marked[0] as string, expected());
      assert.match(visibleText(page), /× The path fails at: DNS — /);
    });
  }
});
