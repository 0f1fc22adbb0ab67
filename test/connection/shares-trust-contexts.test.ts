import assert from 'node:assert/strict';
import tls from 'node:tls';
import { defaultConnector as connector } from '../../src/connection/connector';
import { sharedContext } from '../../src/connection/trust';
import type { ConnectTarget } from '../../src/connection/types';
import { issueCertificate, rsaKey } from '../../src/lab/certs';
import { HOST, testPki } from './support';

/**
 * A trust context with an extra anchor copies Node's whole root store (~20 ms and ~0.9 MB per socket under
 * --use-openssl-ca): the connector builds one per distinct input and shares it, never one per socket.
 */
describe('connection: trust contexts are built once per (ca, versions, identity) and shared by sockets', () => {
  const pki = testPki();
  const otherIdentity = issueCertificate({ commonName: 'device-2', usage: 'client', issuer: pki.root }, rsaKey(3));

  /**
   * The secureContext each connector socket was opened with (the sockets dial a closed loopback port and are dropped).
   */
  const contextsOf = (targets: ConnectTarget[]): (tls.SecureContext | undefined)[] => {
    const seen: (tls.SecureContext | undefined)[] = [];
    const real = tls.connect;
    (tls as { connect: unknown }).connect = (options: tls.ConnectionOptions) => {
      seen.push(options.secureContext);
      return real(options);
    };
    try {
      for (const t of targets) {
        const s = connector.openTls(t);
        s.on('error', () => undefined);
        s.destroy();
      }
    } finally {
      (tls as { connect: unknown }).connect = real;
    }
    return seen;
  };
  const base: ConnectTarget = {
    host: HOST,
    addresses: ['127.0.0.1'],
    port: 9,
    minVersion: 'TLSv1.2',
    ca: pki.root.certPem,
  };

  it('two sockets with the same ca and policy share one context; another ca or minVersion gets its own', () => {
    const [a, b, c, d] = contextsOf([
      base,
      { ...base },
      { ...base, ca: pki.other.certPem },
      { ...base, minVersion: 'TLSv1.3' },
    ]);
    assert.ok(a);
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.notEqual(a, d);
  });

  it('a client identity is part of the key: the same certificate and key share, another identity does not', () => {
    const device = { ...base, cert: pki.good.certPem, key: pki.good.keyPem };
    const [plain, first, again, other] = contextsOf([
      base,
      device,
      { ...device },
      { ...base, cert: otherIdentity.certPem, key: otherIdentity.keyPem },
    ]);
    assert.equal(first, again);
    assert.notEqual(first, plain, 'a context without credentials never serves a socket that has them');
    assert.notEqual(first, other);
  });

  it('a buffer and a string with the same PEM share, and array anchors are keyed by every element', () => {
    const fromString = sharedContext({ ca: pki.root.certPem, minVersion: 'TLSv1.2' });
    assert.equal(sharedContext({ ca: Buffer.from(pki.root.certPem), minVersion: 'TLSv1.2' }), fromString);
    const both = sharedContext({ ca: [pki.root.certPem, pki.other.certPem], minVersion: 'TLSv1.2' });
    assert.notEqual(both, fromString);
    assert.equal(sharedContext({ ca: [pki.root.certPem, pki.other.certPem], minVersion: 'TLSv1.2' }), both);
    assert.notEqual(sharedContext({ ca: [pki.root.certPem + pki.other.certPem], minVersion: 'TLSv1.2' }), both);
  });

  it('the cache is bounded: after 16 other anchors the least recently used context is rebuilt', () => {
    const first = sharedContext({ ca: pki.other.certPem, minVersion: 'TLSv1.3' });
    for (let i = 0; i < 16; i++) sharedContext({ ca: `${pki.other.certPem}\n# filler ${i}`, minVersion: 'TLSv1.3' });
    assert.notEqual(sharedContext({ ca: pki.other.certPem, minVersion: 'TLSv1.3' }), first);
  });
});
