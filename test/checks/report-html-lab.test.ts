// dps-check --report FILE.html against the local lab, opened in headless Chromium: the page a technician mails to
// support, checked by what a browser renders (DOM text and a screenshot), for a healthy device and a broken DNS path.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { startLab } from '../../src/lab/lab';
import type { LabHandle } from '../../src/lab/types';
import { labFlags, runCli } from './cli-helper';
import { put, tempDir } from './fixtures';
import { chromiumPath, elementsWithClass, renderInChromium, visibleText } from './report-html-chromium';

const chromium = chromiumPath();

/** Nothing on the page may load anything: no script, stylesheet link, image, frame or CSS url(). */
function assertSelfContained(page: string): void {
  assert.doesNotMatch(page, /<(script|link|img|iframe|object|embed)\b/i);
  assert.doesNotMatch(page, /\ssrc=|url\(|@import/i);
}

describe('dps-check --report FILE.html against the lab', function () {
  this.timeout(180_000);
  let lab: LabHandle;
  const dir = tempDir('report-html-lab-');
  let args: string[];

  before(async () => {
    // One line in the output says which way the browser assertions ran.
    console.log(
      chromium
        ? `      rendering with ${chromium} (headless, no network)`
        : '      chromium is not installed: the rendered-page assertions are skipped (apt-get install chromium)',
    );
    lab = await startLab({ retryAfterSeconds: 0, mqttPort: 0, wsPort: 0 });
    const d = await lab.createDevice('html-dev-1', 'x509-individual');
    assert.ok('cert' in d.auth);
    args = [
      '--host',
      lab.dps.host,
      '--id-scope',
      lab.dps.idScope,
      '--registration-id',
      d.registrationId,
      '--cert',
      put(dir, 'dev.pem', d.auth.cert),
      '--key',
      put(dir, 'dev.key', d.auth.key),
      ...labFlags(lab, put(dir, 'lab-ca.pem', lab.caPem)),
      '--timeout-ms',
      '3000',
      '--register',
    ];
  });
  after(async () => {
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => lab.setDnsView('private', 'dps'));

  /** Runs dps-check with --report <name>.html (and `argv` instead of the lab's); returns the page and the run. */
  async function report(name: string, argv = args): Promise<{ file: string; page: string; code: number | null }> {
    const file = path.join(dir, `${name}.html`);
    const run = await runCli([...argv, '--report', file], {}, 90_000);
    assert.match(run.stdout, new RegExp(`support bundle written to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    return { file, page: readFileSync(file, 'utf8'), code: run.code };
  }

  it('healthy: a 0600 self-contained page whose path shows every hop ok, device to hub, and no failing hop', async function () {
    const { file, page, code } = await report('healthy');
    assert.equal(code, 0);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assertSelfContained(page);
    // Without a browser the markup is still checked (as text); the rendered assertions need one.
    const text = visibleText(page);
    assert.match(text, /√ No errors/);
    if (!chromium) return this.skip(); // the reason is printed once, in before()
    const shown = await renderInChromium(chromium, file);
    assert.ok(shown.pngBytes > 20_000, `screenshot ${shown.png} is ${shown.pngBytes} bytes`);
    for (const expected of [
      `dps-check report: ${lab.dps.host}`,
      '√ No errors',
      // device → resolver → each CNAME hop → the address, in the VNET
      `resolver ${lab.dnsServer}`,
      `${lab.dps.host} name asked`,
      `${lab.dps.privatelinkHost} CNAME privatelink zone`,
      '127.10.0.10 loopback address in the VNET',
      // TCP and TLS on both ports, then DPS and the hub it assigned
      `TCP ${lab.dps.port} MQTT (in use) 127.10.0.10 connected`,
      `SAN DNS:${lab.dps.host} root dps-private-link lab root CA name matches`,
      `assigned hub ${lab.hub.host}`,
      '127.10.0.20 loopback address in the VNET',
      `SAN DNS:${lab.hub.host}`,
      'Findings (0)',
      'openssl',
    ])
      assert.ok(shown.text.includes(expected), `rendered page lacks ${JSON.stringify(expected)}:\n${shown.text}`);
    assert.ok(!shown.text.includes('fails here'), shown.text);
    assert.equal(elementsWithClass(shown.dom, 'failing').length, 0);
  });

  it('broken (lab public view): the page says where the path fails and marks the public address, nothing after it', async function () {
    lab.setDnsView('public', 'dps');
    const { file, page, code } = await report('public');
    assert.equal(code, 1);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assertSelfContained(page);
    if (!chromium) return this.skip();
    const shown = await renderInChromium(chromium, file);
    assert.ok(shown.pngBytes > 20_000, `screenshot ${shown.png} is ${shown.pngBytes} bytes`);
    assert.match(
      shown.text,
      new RegExp(`× The path fails at: DNS — ${lab.dps.host.replace(/\./g, '\\.')} \\(dps-dns\\)`),
    );
    // Exactly one hop is marked, and it is the answer outside the VNET.
    const failing = elementsWithClass(shown.dom, 'failing');
    assert.equal(failing.length, 1, failing.join('\n'));
    assert.match(
      visibleText(failing[0] as string),
      /^× 127\.200\.0\.1 loopback address outside the VNET .*fails here$/,
    );
    // The finding, with its evidence, fix and links; the hops after DNS say why they were not tried.
    for (const expected of [
      'DNS_PRIVATELINK_NOT_PRIVATE error dps-dns',
      'Fix: Link the private DNS zone privatelink.azure-devices-provisioning.net',
      'More: README: DNS_PRIVATELINK_NOT_PRIVATE · Microsoft Learn: Private endpoint DNS',
      'publicAddresses ["127.200.0.1"]',
      'not connecting (policy enforce): refused 127.200.0.1',
    ])
      assert.ok(shown.text.includes(expected), `rendered page lacks ${JSON.stringify(expected)}:\n${shown.text}`);
    assert.match(shown.dom, /<a href="https:\/\/github\.com\/dps-private-link\/dps-private-link#findings">/);
  });

  it('TCP refused on the port in use: DNS is fine, the TCP box of that port is the failing hop', async function () {
    // Nothing listens on port 1 of the DPS private endpoint: a refusal, on loopback, inside the VNET.
    const argv = args.filter((a) => a !== '--register').map((a, i, all) => (all[i - 1] === '--port' ? '1' : a));
    const { file, code } = await report('tcp-refused', argv);
    assert.equal(code, 1);
    if (!chromium) return this.skip();
    const shown = await renderInChromium(chromium, file);
    assert.match(shown.text, /× The path fails at: TCP to DPS \(dps-tcp-mqtt, dps-tcp-websocket\)/);
    const failing = elementsWithClass(shown.dom, 'failing');
    assert.equal(failing.length, 1, failing.join('\n'));
    assert.match(
      visibleText(failing[0] as string),
      /^× TCP 1 MQTT \(in use\) 127\.10\.0\.10 ECONNREFUSED .*fails here$/,
    );
    // TCP_REFUSED once the diag-net branch separates refusals from silence; TCP_UNREACHABLE before it.
    assert.match(shown.text, /TCP_(UNREACHABLE|REFUSED) error dps-tcp-mqtt/);
    assert.ok(shown.text.includes('√ DNS — '), 'the DNS stage before it is ok');
  });
});
