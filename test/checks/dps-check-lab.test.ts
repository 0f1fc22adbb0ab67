// dps-check as a real child process against the local lab, healthy and each broken configuration.
// Every run passes --dns-server <lab DNS>: no Azure name ever goes to the system resolver.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startLab } from '../../src/lab/lab';
import type { LabHandle } from '../../src/lab/types';
import { codesOf, jsonOf, labFlags, resultOf, runCli } from './cli-helper';
import { put, tempDir } from './fixtures';
import { startSntpServer, type SntpServer } from './sntp-server';

const DAY = 86_400_000;

describe('dps-check against the lab', function () {
  this.timeout(60_000);
  let lab: LabHandle;
  let ntp: SntpServer;
  const dir = tempDir('dps-check-lab-');
  let base: string[];
  let device: { cert: string; key: string; registrationId: string };

  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0 });
    ntp = await startSntpServer();
    const d = await lab.createDevice('check-dev-1', 'x509-individual');
    assert.ok('cert' in d.auth);
    device = {
      cert: put(dir, 'dev1.pem', d.auth.cert),
      key: put(dir, 'dev1.key', d.auth.key),
      registrationId: d.registrationId,
    };
    const ca = put(dir, 'lab-ca.pem', lab.caPem);
    base = [
      '--host',
      lab.dps.host,
      '--id-scope',
      lab.dps.idScope,
      ...labFlags(lab, ca),
      '--timeout-ms',
      '3000',
      '--ntp-server',
      ntp.endpoint,
    ];
  });
  after(async () => {
    await lab?.close();
    await ntp?.close();
  });
  afterEach(() => {
    lab.setDnsView('private', 'dps');
    lab.setFault(undefined);
    ntp.setOffset(0);
  });

  const withDevice = (): string[] => [
    '--registration-id',
    device.registrationId,
    '--cert',
    device.cert,
    '--key',
    device.key,
  ];

  it('healthy: every DPS check passes and the exit status is 0', async () => {
    const run = await runCli([...base, ...withDevice(), '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 0, run.stdout);
    for (const id of [
      'config-well-formed',
      'dps-host',
      'dps-dns',
      'dps-tcp-mqtt',
      'dps-tcp-websocket',
      'dps-tls-mqtt',
      'dps-tls-websocket',
      'device-cert',
      'device-cert-validity',
      'device-key-match',
      'device-cert-cn',
      'device-cert-chain',
    ]) {
      assert.equal(resultOf(doc, id), 'ok', `${id}: ${JSON.stringify(doc.checks.find((c) => c.id === id))}`);
    }
    assert.equal(doc.summary.error, 0);
    const dns = doc.checks.find((c) => c.id === 'dps-dns');
    assert.equal(dns?.evidence['verdict'], 'private-in-vnet');
    const tls = doc.checks.find((c) => c.id === 'dps-tls-mqtt');
    assert.equal(tls?.evidence['protocol'], 'TLSv1.3');
    assert.equal(tls?.evidence['hostnameMatch'], true);
  });

  it('healthy text output: one line per check with √, sections, the summary, no colour when not a TTY', async () => {
    const run = await runCli([...base, ...withDevice()]);
    assert.equal(run.code, 0, run.stdout);
    // A check's line wraps at 80 columns; its continuation lines start four columns in.
    const unwrapped = run.stdout.replace(/\n {4}(?=\S)/g, ' ');
    assert.match(unwrapped, /^ {2}√ dps-dns: .*127\.10\.0\.10 \(loopback, in VNET\)/m);
    assert.match(run.stdout, /^DNS$/m);
    assert.match(run.stdout, /^\d+ ok, 0 warnings, 0 errors, \d+ skipped$/m);
    assert.doesNotMatch(run.stdout, /\x1b\[/);
  });

  it('public answer (privatelink CNAME → public IP): DNS_PRIVATELINK_NOT_PRIVATE, refused before connecting, exit 1', async () => {
    // What an unlinked resolver answers: the privatelink CNAME, then Azure's public address. Resolving is not
    // connecting: enforce mode must refuse it before any socket (in the test namespace a bug would get ENETUNREACH).
    lab.dns.setRecord(lab.dps.privatelinkHost, { cname: 'lab-dps-prod.westeurope.cloudapp.azure.com' });
    lab.dns.setRecord('lab-dps-prod.westeurope.cloudapp.azure.com', { a: ['20.50.1.2'], ttl: 10 });
    const run = await runCli([...base, ...withDevice(), '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.equal(resultOf(doc, 'dps-dns'), 'error');
    assert.ok(codesOf(doc, 'dps-dns').includes('DNS_PRIVATELINK_NOT_PRIVATE'), JSON.stringify(codesOf(doc, 'dps-dns')));
    assert.match(
      doc.checks.find((c) => c.id === 'dps-dns')?.findings.find((f) => f.code === 'DNS_PRIVATELINK_NOT_PRIVATE')
        ?.remediation ?? '',
      /privatelink\.azure-devices-provisioning\.net/,
    );
    for (const id of ['dps-tcp-mqtt', 'dps-tcp-websocket', 'dps-tls-mqtt', 'dps-tls-websocket'])
      assert.equal(resultOf(doc, id), 'skipped', id);
    // device identity still runs: it does not depend on the network
    assert.equal(resultOf(doc, 'device-key-match'), 'ok');
  });

  it('lab public view (public twin on 127.200.0.1, outside the VNET): dps-dns error, the public twin is never contacted', async () => {
    lab.setDnsView('public', 'dps');
    const before = lab.counters.connections.publicTwin;
    const run = await runCli([...base, '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.equal(resultOf(doc, 'dps-dns'), 'error');
    assert.equal(doc.checks.find((c) => c.id === 'dps-dns')?.evidence['verdict'], 'private-outside-vnet');
    assert.equal(resultOf(doc, 'dps-tcp-mqtt'), 'skipped');
    assert.equal(lab.counters.connections.publicTwin, before, 'enforce mode must not connect to the public twin');
  });

  it('--policy warn probes the public twin anyway: TLS is fine there, so DNS is the culprit', async () => {
    lab.setDnsView('public', 'dps');
    const before = lab.counters.connections.publicTwin;
    const run = await runCli([...base, '--policy', 'warn', '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.equal(resultOf(doc, 'dps-dns'), 'error');
    assert.equal(resultOf(doc, 'dps-tcp-mqtt'), 'ok');
    assert.equal(resultOf(doc, 'dps-tls-mqtt'), 'ok');
    assert.ok(lab.counters.connections.publicTwin > before);
  });

  it('clock 10 minutes off (SNTP --ntp-server): CLOCK_SKEW error naming the source', async () => {
    ntp.setOffset(-600_000);
    const run = await runCli([...base, '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(doc, 'clock-skew'), ['CLOCK_SKEW']);
    assert.match(
      doc.checks.find((c) => c.id === 'clock-skew')?.findings[0]?.message ?? '',
      /600(\.\d)? s ahead of .*SNTP 127\.0\.0\.1:\d+/,
    );
    ntp.setOffset(90_000);
    const warn = jsonOf(await runCli([...base, '--json']));
    assert.equal(resultOf(warn, 'clock-skew'), 'warning');
  });

  it('no privatelink CNAME: DNS_NO_PRIVATELINK_CNAME', async () => {
    lab.setDnsView('no-privatelink', 'dps');
    const doc = jsonOf(await runCli([...base, '--json']));
    assert.ok(codesOf(doc, 'dps-dns').includes('DNS_NO_PRIVATELINK_CNAME'), JSON.stringify(codesOf(doc, 'dps-dns')));
  });

  it('private but outside the VNET (10.99.0.4): DNS_OUTSIDE_VNET and no connection attempt', async () => {
    lab.setDnsView('outside-vnet', 'dps');
    const run = await runCli([...base, '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.ok(codesOf(doc, 'dps-dns').includes('DNS_OUTSIDE_VNET'), JSON.stringify(codesOf(doc, 'dps-dns')));
    assert.equal(resultOf(doc, 'dps-tcp-mqtt'), 'skipped');
    assert.equal(resultOf(doc, 'dps-tcp-websocket'), 'skipped');
  });

  it('privatelink record missing: DNS_PRIVATELINK_RECORD_MISSING', async () => {
    lab.setDnsView('privatelink-missing', 'dps');
    const doc = jsonOf(await runCli([...base, '--json']));
    assert.ok(
      codesOf(doc, 'dps-dns').includes('DNS_PRIVATELINK_RECORD_MISSING'),
      JSON.stringify(codesOf(doc, 'dps-dns')),
    );
  });

  it('global endpoint: dps-host reports ENDPOINT_GLOBAL_WITH_PRIVATE_LINK and exits 1', async () => {
    const args = [...base];
    args[1] = 'global.azure-devices-provisioning.net';
    const before = lab.counters.connections.publicTwin;
    const run = await runCli([...args, '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(doc, 'dps-host'), ['ENDPOINT_GLOBAL_WITH_PRIVATE_LINK']);
    assert.ok(!codesOf(doc, 'dps-dns').includes('ENDPOINT_GLOBAL_WITH_PRIVATE_LINK'), 'reported once, by dps-host');
    // the lab's global name answers the public twin (outside the VNET): never dialled under enforce
    assert.equal(resultOf(doc, 'dps-tcp-mqtt'), 'skipped');
    assert.equal(lab.counters.connections.publicTwin, before);
  });

  it('wrong SAN on the DPS certificate: TLS_HOSTNAME_MISMATCH on both ports', async () => {
    lab.setFault({ kind: 'wrong-san' });
    const run = await runCli([...base, '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(doc, 'dps-tls-mqtt'), ['TLS_HOSTNAME_MISMATCH']);
    assert.equal(resultOf(doc, 'dps-tls-mqtt'), 'error');
    assert.ok(codesOf(doc, 'dps-tls-websocket').includes('TLS_HOSTNAME_MISMATCH'));
    // the port of the transport not in use is a warning, not an error
    assert.equal(resultOf(doc, 'dps-tls-websocket'), 'warning');
    assert.match(
      doc.checks.find((c) => c.id === 'dps-tls-mqtt')?.findings[0]?.message ?? '',
      /wrong-name\.example\.net/,
    );
  });

  it('expired server certificate: TLS_SERVER_CERT_EXPIRED', async () => {
    lab.setFault({ kind: 'expired-cert' });
    const doc = jsonOf(await runCli([...base, '--json']));
    assert.ok(
      codesOf(doc, 'dps-tls-mqtt').includes('TLS_SERVER_CERT_EXPIRED'),
      JSON.stringify(codesOf(doc, 'dps-tls-mqtt')),
    );
  });

  it('without the lab CA: TLS_UNTRUSTED_CHAIN', async () => {
    const args = base.filter((a, i) => a !== '--ca' && base[i - 1] !== '--ca');
    const doc = jsonOf(await runCli([...args, '--json']));
    assert.ok(
      codesOf(doc, 'dps-tls-mqtt').includes('TLS_UNTRUSTED_CHAIN'),
      JSON.stringify(codesOf(doc, 'dps-tls-mqtt')),
    );
  });

  it('expired device certificate: DEVICE_CERT_EXPIRED, exit 1', async () => {
    const d = await lab.createDevice('check-expired', 'x509-individual', {
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    assert.ok('cert' in d.auth);
    const run = await runCli([
      ...base,
      '--registration-id',
      d.registrationId,
      '--cert',
      put(dir, 'exp.pem', d.auth.cert),
      '--key',
      put(dir, 'exp.key', d.auth.key),
      '--json',
    ]);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(doc, 'device-cert-validity'), ['DEVICE_CERT_EXPIRED']);
  });

  it('key of another device: DEVICE_KEY_MISMATCH', async () => {
    const other = await lab.createDevice('check-other', 'x509-individual');
    assert.ok('cert' in other.auth);
    const run = await runCli([
      ...base,
      '--registration-id',
      device.registrationId,
      '--cert',
      device.cert,
      '--key',
      put(dir, 'other.key', other.auth.key),
      '--json',
    ]);
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(jsonOf(run), 'device-key-match'), ['DEVICE_KEY_MISMATCH']);
  });

  it('registration id is not the certificate CN: DEVICE_CERT_CN_MISMATCH', async () => {
    const run = await runCli([
      ...base,
      '--registration-id',
      'someone-else',
      '--cert',
      device.cert,
      '--key',
      device.key,
      '--json',
    ]);
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(jsonOf(run), 'device-cert-cn'), ['DEVICE_CERT_CN_MISMATCH']);
  });

  it('group-enrolled device: the cert file chain is checked leaf first', async () => {
    const g = await lab.createDevice('check-group-1', 'x509-group');
    assert.ok('cert' in g.auth);
    const doc = jsonOf(
      await runCli([
        ...base,
        '--registration-id',
        g.registrationId,
        '--cert',
        put(dir, 'g.pem', g.auth.cert),
        '--key',
        put(dir, 'g.key', g.auth.key),
        '--json',
      ]),
    );
    assert.equal(resultOf(doc, 'device-cert-chain'), 'ok');
  });

  it('--warnings-as-errors turns a warning into exit 1; without it the same run exits 0', async () => {
    const d = await lab.createDevice('check-soon', 'x509-individual', {
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 5 * DAY),
    });
    assert.ok('cert' in d.auth);
    const args = [
      ...base,
      '--registration-id',
      d.registrationId,
      '--cert',
      put(dir, 'soon.pem', d.auth.cert),
      '--key',
      put(dir, 'soon.key', d.auth.key),
      '--json',
    ];
    const plain = await runCli(args);
    assert.equal(plain.code, 0, plain.stdout);
    assert.deepEqual(codesOf(jsonOf(plain), 'device-cert-validity'), ['DEVICE_CERT_EXPIRES_SOON']);
    assert.equal((await runCli([...args, '--warnings-as-errors'])).code, 1);
  });

  it('--dont-run skips a check and everything that depends on it', async () => {
    const doc = jsonOf(await runCli([...base, '--dont-run', 'dps-tcp-mqtt,device-cert', '--json']));
    assert.equal(resultOf(doc, 'dps-tcp-mqtt'), 'skipped');
    assert.equal(resultOf(doc, 'dps-tls-mqtt'), 'skipped');
    assert.match(
      doc.checks.find((c) => c.id === 'dps-tls-mqtt')?.detail ?? '',
      /not run: dps-tcp-mqtt was excluded by --dont-run/,
    );
    assert.equal(resultOf(doc, 'dps-tls-websocket'), 'ok');
  });

  it('--report writes the JSON with environment facts and without the passphrase', async () => {
    const d = await lab.createDevice('check-enc', 'x509-individual');
    assert.ok('cert' in d.auth);
    const { createPrivateKey } = await import('node:crypto');
    const encrypted = createPrivateKey(d.auth.key).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'Sup3r-Secret-Pass',
    });
    const report = path.join(dir, 'bundle.json');
    const run = await runCli(
      [
        ...base,
        '--registration-id',
        d.registrationId,
        '--cert',
        put(dir, 'enc.pem', d.auth.cert),
        '--key',
        put(dir, 'enc.key', encrypted),
        '--report',
        report,
      ],
      { DPS_KEY_PASSPHRASE: 'Sup3r-Secret-Pass' },
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(existsSync(report));
    const text = readFileSync(report, 'utf8');
    assert.doesNotMatch(text, /Sup3r-Secret-Pass/);
    assert.doesNotMatch(run.stdout + run.stderr, /Sup3r-Secret-Pass/);
    const bundle = JSON.parse(text) as {
      checks: { id: string; result: string }[];
      environment: { node: string; openssl: string };
      configuration: { sources: Record<string, { name: string }> };
    };
    assert.equal(bundle.environment.node, process.version);
    assert.equal(bundle.environment.openssl, process.versions.openssl);
    assert.equal(bundle.configuration.sources['provisioningHost']?.name, '--host');
    assert.equal(bundle.checks.find((c) => c.id === 'device-key-match')?.result, 'ok');
  });

  it('--register: a real registration through provisionDevice, then the assigned hub passes DNS, TCP and TLS on 8883 and 443', async () => {
    const run = await runCli([...base, ...withDevice(), '--register', '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(resultOf(doc, 'dps-register'), 'ok');
    assert.equal(doc.checks.find((c) => c.id === 'dps-register')?.evidence['assignedHub'], lab.hub.host);
    for (const id of ['hub-dns', 'hub-tcp-mqtt', 'hub-tcp-websocket', 'hub-tls-mqtt', 'hub-tls-websocket']) {
      assert.equal(resultOf(doc, id), 'ok', `${id}: ${JSON.stringify(doc.checks.find((c) => c.id === id))}`);
    }
    assert.equal(doc.checks.find((c) => c.id === 'hub-tls-websocket')?.evidence['port'], lab.hub.wsPort);
  });

  it('--register: the hub port of the transport not in use failing is a warning, the one in use an error', async () => {
    // Port 1 on the hub's loopback address: nothing listens, so the connection is refused at once.
    const mqtt = jsonOf(await runCli([...base, ...withDevice(), '--register', '--hub-ws-port', '1', '--json']));
    assert.equal(resultOf(mqtt, 'hub-tcp-mqtt'), 'ok');
    assert.equal(resultOf(mqtt, 'hub-tcp-websocket'), 'warning');
    assert.deepEqual(codesOf(mqtt, 'hub-tcp-websocket'), ['TCP_REFUSED']);
    assert.equal(resultOf(mqtt, 'hub-tls-websocket'), 'skipped');
    const ws = await runCli([
      ...base,
      ...withDevice(),
      '--register',
      '--transport',
      'mqtt-ws',
      '--hub-ws-port',
      '1',
      '--json',
    ]);
    const wsDoc = jsonOf(ws);
    assert.equal(resultOf(wsDoc, 'dps-register'), 'ok');
    assert.equal(resultOf(wsDoc, 'hub-tcp-websocket'), 'error');
    assert.equal(resultOf(wsDoc, 'hub-tcp-mqtt'), 'ok');
    assert.equal(ws.code, 1);
  });

  it('--register with a symmetric key from DPS_SYMMETRIC_KEY', async () => {
    const d = await lab.createDevice('check-sas-1', 'symmetric-key');
    assert.ok('symmetricKey' in d.auth);
    const run = await runCli([...base, '--registration-id', d.registrationId, '--register', '--json'], {
      DPS_SYMMETRIC_KEY: d.auth.symmetricKey,
    });
    const doc = jsonOf(run);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(resultOf(doc, 'dps-register'), 'ok');
    assert.equal(resultOf(doc, 'device-cert'), 'skipped');
    assert.doesNotMatch(run.stdout, new RegExp(d.auth.symmetricKey.replace(/[+/=]/g, '.')));
  });

  it('public twin 401 with --register --policy warn: DPS_UNAUTHORIZED_PUBLIC after a good TLS handshake', async () => {
    lab.setDnsView('public', 'dps');
    const run = await runCli([...base, ...withDevice(), '--register', '--policy', 'warn', '--json']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1);
    assert.equal(resultOf(doc, 'dps-tls-mqtt'), 'ok');
    assert.equal(resultOf(doc, 'dps-register'), 'error');
    assert.deepEqual(codesOf(doc, 'dps-register'), ['DPS_UNAUTHORIZED_PUBLIC']);
    assert.equal(resultOf(doc, 'hub-dns'), 'skipped');
  });

  it('--register under enforce with a public DNS answer is not attempted (provisionDevice would refuse)', async () => {
    lab.setDnsView('public', 'dps');
    const before = lab.counters.connections.publicTwin;
    const doc = jsonOf(await runCli([...base, ...withDevice(), '--register', '--json']));
    assert.equal(resultOf(doc, 'dps-register'), 'skipped');
    assert.equal(lab.counters.connections.publicTwin, before);
  });

  it('hub zone not linked: registration works, hub-dns reports the hub outside the VNET', async () => {
    lab.setDnsView('public', 'hub');
    try {
      const run = await runCli([...base, ...withDevice(), '--register', '--policy', 'warn', '--json']);
      const doc = jsonOf(run);
      assert.equal(
        resultOf(doc, 'dps-register'),
        'ok',
        JSON.stringify(doc.checks.find((c) => c.id === 'dps-register')),
      );
      const codes = codesOf(doc, 'hub-dns');
      assert.ok(codes.includes('HUB_PUBLIC_ADDRESS') || codes.includes('HUB_OUTSIDE_VNET'), JSON.stringify(codes));
    } finally {
      lab.setDnsView('private', 'hub');
    }
  });

  it('mixed answers: DNS_MIXED_ANSWERS, and under enforce only the in-VNET address is dialled', async () => {
    lab.setDnsView('mixed', 'dps');
    const before = lab.counters.connections.publicTwin;
    const doc = jsonOf(await runCli([...base, '--json']));
    assert.ok(codesOf(doc, 'dps-dns').includes('DNS_MIXED_ANSWERS'), JSON.stringify(codesOf(doc, 'dps-dns')));
    const tcp = doc.checks.find((c) => c.id === 'dps-tcp-mqtt');
    assert.equal(tcp?.result, 'ok');
    assert.deepEqual(
      (tcp?.evidence['results'] as { address: string }[]).map((r) => r.address),
      [lab.dps.address],
    );
    assert.deepEqual(tcp?.evidence['refused'], [lab.publicTwin.address]);
    assert.equal(lab.counters.connections.publicTwin, before);
  });

  it('a privatelink name as host: ENDPOINT_PRIVATELINK_NAME, and the TLS check shows the certificate does not cover it', async () => {
    const args = [...base];
    args[1] = lab.dps.privatelinkHost;
    const doc = jsonOf(await runCli([...args, '--json']));
    assert.deepEqual(codesOf(doc, 'dps-host'), ['ENDPOINT_PRIVATELINK_NAME']);
    assert.deepEqual(codesOf(doc, 'dps-tls-mqtt'), ['TLS_HOSTNAME_MISMATCH']);
    const sans = (
      doc.checks.find((c) => c.id === 'dps-tls-mqtt')?.evidence['chain'] as { subjectAltName?: string }[]
    )[0]?.subjectAltName;
    assert.match(sans ?? '', new RegExp(`DNS:${lab.dps.host.replace(/\./g, '\\.')}`));
  });

  it('--transport mqtt-ws --register: registers over WebSockets; the 8883 checks become the unused port', async () => {
    const doc = jsonOf(await runCli([...base, ...withDevice(), '--transport', 'mqtt-ws', '--register', '--json']));
    assert.equal(resultOf(doc, 'dps-register'), 'ok', JSON.stringify(doc.checks.find((c) => c.id === 'dps-register')));
    assert.equal(doc.checks.find((c) => c.id === 'dps-register')?.evidence['transport'], 'mqtt-ws');
    lab.setFault({ kind: 'wrong-san' });
    const broken = jsonOf(await runCli([...base, '--transport', 'mqtt-ws', '--json']));
    assert.equal(resultOf(broken, 'dps-tls-websocket'), 'error');
    assert.equal(resultOf(broken, 'dps-tls-mqtt'), 'warning');
  });

  it('reads the device settings from a JSON config file and shows where each came from', async () => {
    const config = put(
      dir,
      'device.json',
      JSON.stringify({
        provisioningHost: lab.dps.host,
        registrationId: device.registrationId,
        certFile: 'dev1.pem',
        keyFile: 'dev1.key',
        expectedCidrs: lab.vnetCidrs,
        dnsServers: [lab.dnsServer],
        port: lab.dps.port,
        wsPort: lab.dps.wsPort,
      }),
    );
    const run = await runCli(['--config', config, '--ca', path.join(dir, 'lab-ca.pem'), '--json'], {
      DPS_ID_SCOPE: lab.dps.idScope,
    });
    const doc = jsonOf(run);
    assert.equal(run.code, 0, run.stdout);
    const values = doc.checks.find((c) => c.id === 'config-well-formed')?.evidence['values'] as Record<
      string,
      { source: string }
    >;
    assert.equal(values['provisioningHost']?.source, `${config}#provisioningHost`);
    assert.equal(values['idScope']?.source, 'DPS_ID_SCOPE');
    assert.equal(values['caFile']?.source, '--ca');
    assert.equal(resultOf(doc, 'device-key-match'), 'ok');
  });
});
