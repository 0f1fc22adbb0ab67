// The HTML report shows what the network said, and the network may be hostile: a DNS answer and a server certificate
// carrying markup must appear on the page as text, never as elements. Real peers: the lab's DNS server answers a
// CNAME with <script> in it, and a real TLS server presents a certificate whose subject and SAN carry markup.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { startLab } from '../../src/lab/lab';
import type { LabHandle } from '../../src/lab/types';
import { runCli } from './cli-helper';
import { makeCert, pem, put, rsaKey, tempDir } from './fixtures';
import { chromiumPath, renderInChromium, visibleText } from './report-html-chromium';

const chromium = chromiumPath();
const EVIL_CNAME = '<script>alert(1)</script><img src=x onerror=alert(2)>.evil.example';
const EVIL_CN = '<script>document.title="pwned"</script>';
const EVIL_SAN = '<img src=x onerror=alert(3)>.example';
/** Inside the lab VNET but not a lab address: where the hostile TLS server listens. */
const EVIL_ADDRESS = '127.10.0.66';

describe('dps-check --report FILE.html: hostile DNS answers and certificates render as text', function () {
  this.timeout(180_000);
  let lab: LabHandle;
  let server: tls.Server;
  let port: number;
  const dir = tempDir('report-html-escaping-');
  const rootKey = rsaKey();
  const root = makeCert({ cn: 'escaping test root', key: rootKey, ca: true });
  const leafKey = rsaKey();
  const leaf = makeCert({ cn: EVIL_CN, key: leafKey, sans: [EVIL_SAN], issuer: { cert: root, key: rootKey } });

  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0, mqttPort: 0, wsPort: 0 });
    server = tls.createServer(
      { key: leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: pem(leaf) },
      (s) => s.end(),
    );
    server.on('tlsClientError', () => undefined); // the probe hangs up after the handshake
    await new Promise<void>((r) => server.listen(0, EVIL_ADDRESS, r));
    port = (server.address() as net.AddressInfo).port;
    lab.dns.setRecord(lab.dps.privatelinkHost, { cname: EVIL_CNAME });
    lab.dns.setRecord(EVIL_CNAME, { a: [EVIL_ADDRESS] });
  });
  after(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a <script> CNAME hop and a certificate subject and SAN with markup are text on the page; no element is made', async function () {
    const file = path.join(dir, 'hostile.html');
    const run = await runCli(
      [
        '--host',
        lab.dps.host,
        '--id-scope',
        lab.dps.idScope,
        '--dns-server',
        lab.dnsServer,
        '--expect-cidr',
        lab.vnetCidrs[0] as string,
        '--ca',
        put(dir, 'root.pem', pem(root)),
        '--port',
        String(port),
        '--ws-port',
        String(port),
        '--timeout-ms',
        '3000',
        '--json',
        '--report',
        file,
      ],
      {},
      90_000,
    );
    // The run really carried the hostile values into the evidence (else this test would prove nothing).
    const doc = JSON.parse(run.stdout) as { checks: { id: string; evidence: unknown; findings: { code: string }[] }[] };
    const dns = JSON.stringify(doc.checks.find((c) => c.id === 'dps-dns')?.evidence);
    const tlsCheck = doc.checks.find((c) => c.id === 'dps-tls-mqtt');
    assert.ok(dns.includes(JSON.stringify(EVIL_CNAME)), dns);
    assert.ok(JSON.stringify(tlsCheck?.evidence).includes('<script>document.title'), JSON.stringify(tlsCheck));
    assert.ok(
      tlsCheck?.findings.some((f) => f.code === 'TLS_HOSTNAME_MISMATCH'),
      JSON.stringify(tlsCheck),
    );

    const page = readFileSync(file, 'utf8');
    assert.doesNotMatch(page, /<script|<img/i, 'the markup from the network is escaped in the file');
    const text = visibleText(page);
    for (const hostile of [EVIL_CNAME, EVIL_CN, EVIL_SAN]) assert.ok(text.includes(hostile), hostile);
    if (!chromium) {
      console.log(
        '      chromium is not installed: the rendered-page assertions are skipped (apt-get install chromium)',
      );
      return this.skip(); // the file-level assertions above still ran
    }

    const shown = await renderInChromium(chromium, file);
    assert.ok(shown.pngBytes > 20_000, `screenshot ${shown.png} is ${shown.pngBytes} bytes`);
    // The browser built no element from them, and shows each one as the text it was.
    assert.doesNotMatch(shown.dom, /<(script|img)\b/i);
    assert.match(shown.dom, /<title>dps-check report: /);
    assert.doesNotMatch(shown.dom, /<title>pwned/, 'no script ran');
    for (const hostile of [EVIL_CNAME, `SAN DNS:${EVIL_SAN}`, `subject CN=${EVIL_CN}`])
      assert.ok(shown.text.includes(hostile), `rendered page lacks ${hostile}:\n${shown.text}`);
    assert.ok(
      shown.text.includes(`${lab.dps.privatelinkHost} CNAME privatelink zone → ${EVIL_CNAME} CNAME`),
      'the hostile name is drawn as a CNAME hop of the path',
    );
  });
});
