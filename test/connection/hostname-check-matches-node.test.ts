import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { defaultConnector as connector } from '../../src/connection/connector';
import type { TlsInfo } from '../../src/connection/types';
import type { LabCertificate } from '../../src/lab/certs';
import { HOST, startTlsServer, testPki, type TestTlsServer } from './support';

/**
 * An enforced socket checks the server's name without the detailed chain Node would build (see leanPeer in the
 * connector): it must reach Node's own verdict on every certificate, including the ones where Node's rules are subtle
 * (common name only when there is no DNS name, partial wildcards, IP entries, escaped entries). Each certificate is
 * issued by `openssl x509` and served on loopback; the verdict of `tls.connect` with Node's default check is the
 * reference.
 */
describe('connection: the hostname check of an enforced socket gives Node verdict', () => {
  const pki = testPki();
  const dir = mkdtempSync(path.join(tmpdir(), 'dpl-san-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A server certificate for `subject` with the subjectAltName `san` (none when empty), signed by the test root. */
  function issue(name: string, subject: string, san: string): LabCertificate {
    const file = (f: string): string => path.join(dir, `${name}.${f}`);
    writeFileSync(path.join(dir, 'root.pem'), pki.root.certPem);
    writeFileSync(path.join(dir, 'root.key'), pki.root.keyPem);
    // A SAN with several lines is an [alt] section: the only way to write an entry with a comma in it.
    const ext = !san
      ? 'basicConstraints=CA:FALSE'
      : san.includes('\n')
        ? `subjectAltName=@alt\n[alt]\n${san}`
        : `subjectAltName=${san}`;
    writeFileSync(file('ext'), `${ext}\n`);
    const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[] };
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('key')], quiet);
    execFileSync('openssl', ['req', '-new', '-key', file('key'), '-subj', subject, '-out', file('csr')], quiet);
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        file('csr'),
        '-CA',
        path.join(dir, 'root.pem'),
        '-CAkey',
        path.join(dir, 'root.key'),
        '-set_serial',
        String(1000 + cases.findIndex((c) => c.name === name)),
        '-days',
        '2',
        '-extfile',
        file('ext'),
        '-out',
        file('pem'),
      ],
      quiet,
    );
    const certPem = readFileSync(file('pem'), 'utf8');
    return { certPem, keyPem: readFileSync(file('key'), 'utf8'), chainPem: certPem, thumbprint: '' };
  }

  const base = HOST.split('.').slice(1).join('.');
  const cases: { name: string; subject: string; san: string; host?: string; accepted: boolean }[] = [
    { name: 'cn-only', subject: `/CN=${HOST}`, san: '', accepted: true },
    { name: 'cn-only-other', subject: '/CN=other.example.net', san: '', accepted: false },
    {
      name: 'cn-with-uri-and-email-san',
      subject: `/CN=${HOST}`,
      san: 'URI:https://x.example/,email:a@b.example',
      accepted: true,
    },
    {
      name: 'cn-ignored-beside-dns-san',
      subject: `/CN=${HOST}`,
      san: 'DNS:other.example.net,IP:127.0.0.1',
      accepted: false,
    },
    { name: 'wildcard', subject: '/CN=w', san: `DNS:*.${base}`, accepted: true },
    { name: 'partial-wildcard', subject: '/CN=w', san: `DNS:s*c.${base}`, accepted: true },
    {
      name: 'wildcard-two-labels-deep',
      subject: '/CN=w',
      san: `DNS:*.${base.split('.').slice(1).join('.')}`,
      accepted: false,
    },
    { name: 'escaped-uri-first', subject: '/CN=w', san: `URI.1=https://a.example/x,y\nDNS.1=${HOST}`, accepted: true },
    {
      name: 'ip-literal-in-ip-san',
      subject: '/CN=w',
      san: 'IP:127.0.0.1,DNS:w.example',
      host: '127.0.0.1',
      accepted: true,
    },
    {
      name: 'ip-literal-only-in-dns-san',
      subject: '/CN=127.0.0.1',
      san: 'DNS:127.0.0.1',
      host: '127.0.0.1',
      accepted: false,
    },
  ];

  /** Node's own verdict: tls.connect with its default checkServerIdentity. */
  function nodeVerdict(server: TestTlsServer, host: string): Promise<{ accepted: boolean; san?: string }> {
    return new Promise((resolve) => {
      const s = tls.connect({
        host: server.address,
        port: server.port,
        ...(host === '127.0.0.1' ? {} : { servername: host }),
        ca: [pki.root.certPem],
        checkServerIdentity: (_h, cert) => tls.checkServerIdentity(host, cert),
      });
      s.once('secureConnect', () => {
        const san = s.getPeerCertificate().subjectaltname;
        s.destroy();
        resolve({ accepted: true, ...(san !== undefined ? { san } : {}) });
      });
      s.once('error', () => resolve({ accepted: false }));
    });
  }

  function oursVerdict(
    server: TestTlsServer,
    host: string,
  ): Promise<{ accepted: boolean; info?: TlsInfo; err?: Error }> {
    return new Promise((resolve) => {
      const s = connector.openTls(
        { host, addresses: [server.address], port: server.port, minVersion: 'TLSv1.2', ca: pki.root.certPem },
        (info) => {
          // What a caller reads after the handshake is the real certificate, not the check's stand-in.
          assert.equal(typeof s.getPeerCertificate(true).fingerprint256, 'string');
          s.destroy();
          resolve({ accepted: true, info });
        },
      );
      s.once('error', (err) => resolve({ accepted: false, err }));
    });
  }

  for (const c of cases) {
    it(`${c.name}: ${c.accepted ? 'accepted' : 'refused'} as Node decides`, async () => {
      const server = await startTlsServer('127.0.0.1', issue(c.name, c.subject, c.san));
      try {
        const host = c.host ?? HOST;
        const node = await nodeVerdict(server, host);
        assert.equal(node.accepted, c.accepted, 'the reference (Node) verdict is what this case expects');
        const ours = await oursVerdict(server, host);
        assert.equal(ours.accepted, node.accepted);
        if (ours.accepted) {
          assert.equal(ours.info?.subjectAltName, node.san, 'the SAN reported is the one Node prints');
          assert.equal(ours.info?.root, 'dpl test root');
        } else {
          assert.equal((ours.err as NodeJS.ErrnoException).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
          assert.match(ours.err?.message ?? '', /Hostname\/IP does not match certificate's altnames/);
        }
      } finally {
        await server.close();
      }
    });
  }
});
