// TLS_LEGACY_ROOT from the live socket: a chain ending at a root named like the retired Baltimore CyberTrust Root is
// read off the connector's socket (getPeerCertificate(true)), reported by the diagnostic probe, and turned into a
// warning by provisionDevice — which still provisions. Real peers on loopback only.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { inspectTls, probeTls } from '../../src/connection/probe';
import { LEGACY_ROOT } from '../../src/connection/peer-chain';
import { trustStoreWith } from '../../src/connection/trust';
import { issueCertificate, rsaKey } from '../../src/lab/certs';
import type { LabHandle } from '../../src/lab/types';
import { provisionDevice } from '../../src/provision/provision';
import { optionsFor, startTestLab } from '../support/provision-lab';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

describe('connection: the root a live chain ends at (TLS_LEGACY_ROOT)', () => {
  const baltimore = issueCertificate({ commonName: LEGACY_ROOT, usage: 'ca' }, rsaKey(5));
  const leaf = issueCertificate({ commonName: HOST, dnsNames: [HOST], usage: 'server', issuer: baltimore }, rsaKey(2));
  const pki = testPki();
  let legacy: TestTlsServer;
  let current: TestTlsServer;
  before(async () => {
    legacy = await startTlsServer('127.10.3.10', leaf);
    current = await startTlsServer('127.10.3.11', pki.good);
  });
  after(async () => {
    await legacy.close();
    await current.close();
  });

  it('the connector reports the root of the live chain in TlsInfo', async () => {
    const old = await probeTls({
      host: HOST,
      addresses: ['127.10.3.10'],
      port: legacy.port,
      minVersion: 'TLSv1.2',
      ca: baltimore.certPem,
    });
    assert.ok(old.ok, old.ok ? '' : old.failure.finding.message);
    assert.equal(old.tls.root, LEGACY_ROOT);
    const now = await probeTls({
      host: HOST,
      addresses: ['127.10.3.11'],
      port: current.port,
      minVersion: 'TLSv1.2',
      ca: pki.root.certPem,
    });
    assert.ok(now.ok);
    assert.equal(now.tls.root, 'dpl test root');
  });

  it('inspectTls trusts Node roots plus the extra anchor, and reports (not refuses) a chain it cannot verify', async () => {
    const trusted = await inspectTls('127.10.3.10', legacy.port, HOST, { ca: baltimore.certPem, timeoutMs: 3000 });
    assert.equal(trusted.ok, true, trusted.error);
    assert.equal(trusted.authorized, true, trusted.authorizationError);
    assert.equal(trusted.hostnameMatch, true);
    assert.equal(trusted.root, LEGACY_ROOT);
    assert.equal(trusted.chain?.[0]?.subjectAltName, `DNS:${HOST}`);
    const untrusted = await inspectTls('127.10.3.10', legacy.port, HOST, { ca: pki.other.certPem, timeoutMs: 3000 });
    assert.equal(untrusted.ok, true);
    assert.equal(untrusted.authorized, false);
    assert.match(untrusted.authorizationError ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    const wrongName = await inspectTls('127.10.3.10', legacy.port, 'other.azure-devices-provisioning.net', {
      ca: baltimore.certPem,
      timeoutMs: 3000,
    });
    assert.equal(wrongName.hostnameMatch, false);
  });

  it('the probe trust store decides exactly as the documented form (Node roots + anchor), one store per anchor', async () => {
    // trustStoreWith() adds the anchor to a default context instead of re-parsing every bundled root; for any chain it
    // must reach the same verdict as createSecureContext({ ca: [...tls.rootCertificates, anchor] }).
    const documented = (port: number, anchor: string): Promise<string> =>
      new Promise((resolve) => {
        const s = tls.connect(
          {
            host: '127.10.3.10',
            port,
            servername: HOST,
            ca: [...tls.rootCertificates, anchor],
            rejectUnauthorized: false,
          },
          () => {
            resolve(s.authorized ? 'authorized' : String(s.authorizationError));
            s.destroy();
          },
        );
        s.on('error', (e) => resolve(e.message));
      });
    for (const anchor of [baltimore.certPem, pki.root.certPem, pki.other.certPem]) {
      const probe = await inspectTls('127.10.3.10', legacy.port, HOST, { ca: anchor, timeoutMs: 3000 });
      assert.equal(probe.authorized ? 'authorized' : probe.authorizationError, await documented(legacy.port, anchor));
    }
    assert.equal(
      trustStoreWith(pki.other.certPem),
      trustStoreWith(pki.other.certPem),
      'one store per anchor, shared by every probe',
    );
  });

  describe('provisionDevice', function () {
    this.timeout(20_000);
    let lab: LabHandle;
    let relay: net.Server;
    let relayPort = 0;
    const relayAddress = '127.10.9.21';
    before(async () => {
      lab = await startTestLab();
      // A TLS relay inside the VNET that presents a Baltimore-rooted certificate for the DPS name and forwards the
      // decrypted MQTT bytes to the lab's DPS (as a TLS client that trusts the lab CA).
      const dpsLeaf = issueCertificate(
        { commonName: lab.dps.host, dnsNames: [lab.dps.host], usage: 'server', issuer: baltimore },
        rsaKey(2),
      );
      relay = tls.createServer({ cert: dpsLeaf.chainPem, key: dpsLeaf.keyPem }, (front) => {
        const back = tls.connect({
          host: lab.dps.address,
          port: lab.dps.port,
          servername: lab.dps.host,
          ca: lab.caPem,
        });
        front.pipe(back).pipe(front);
        front.on('error', () => back.destroy());
        back.on('error', () => front.destroy());
        front.on('close', () => back.destroy());
        back.on('close', () => front.destroy());
      });
      await new Promise<void>((resolve) => relay.listen(0, relayAddress, resolve));
      relayPort = (relay.address() as net.AddressInfo).port;
    });
    after(async () => {
      relay?.close();
      await lab?.close();
    });

    it('warns with TLS_LEGACY_ROOT when the DPS chain ends at Baltimore, and still provisions', async () => {
      lab.dns.setRecord(lab.dps.privatelinkHost, { a: [relayAddress], ttl: 10 });
      const device = await lab.createDevice('legacy-root-dev', 'symmetric-key');
      const result = await provisionDevice(
        optionsFor(lab, device, { port: relayPort, tls: { ca: baltimore.certPem } }),
      );
      assert.equal(result.assignedHub, lab.hub.host);
      const found = result.findings.filter((f) => f.code === 'TLS_LEGACY_ROOT');
      assert.equal(found.length, 1);
      assert.equal(found[0]?.severity, 'warning');
      assert.equal(found[0]?.evidence['root'], LEGACY_ROOT);
      assert.equal(found[0]?.evidence['address'], relayAddress);
      assert.match(found[0]?.remediation ?? '', /DigiCert Global Root G2/);
    });

    it('no TLS_LEGACY_ROOT when the chain ends at another root', async () => {
      lab.dns.setRecord(lab.dps.privatelinkHost, { a: [lab.dps.address], ttl: 10 });
      const device = await lab.createDevice('current-root-dev', 'symmetric-key');
      const result = await provisionDevice(optionsFor(lab, device));
      assert.equal(result.findings.filter((f) => f.code === 'TLS_LEGACY_ROOT').length, 0);
    });
  });
});
