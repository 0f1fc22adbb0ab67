import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  createHubClient,
  HubConnectionError,
  openHubClient,
  InvalidOptionError,
  provisionDevice,
  ProvisioningError,
} from '../../src/index';
import type { LabDevice, LabHandle, ProvisioningResult, ProvisionOptions } from '../../src/index';
import { issueCertificate } from '../../src/lab/certs';
import { optionsFor, startTestLab } from '../support/provision-lab';

describe('provision: device credentials are read before any packet, and a bad one is named as such', function () {
  let lab: LabHandle;
  let device: LabDevice;
  let other: LabDevice;
  let cert: string;
  let key: string;
  before(async () => {
    lab = await startTestLab();
    device = await lab.createDevice('cred-device', 'x509-individual');
    other = await lab.createDevice('cred-other', 'x509-individual');
    ({ cert, key } = device.auth as { cert: string; key: string });
  });
  after(() => lab.close());

  const PASSPHRASE = 'right-Passphrase-123';
  const WRONG = 'wrong-Passphrase-XYZ';
  const encrypted = (): string =>
    crypto
      .createPrivateKey(key)
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string;
  const keyBody = (): string => key.split('\n')[1];

  /** provisionDevice with `auth`, asserting it is refused with no DNS query (so no socket either). */
  const refused = async (auth: unknown): Promise<unknown> => {
    const queries = lab.dns.queryCount();
    const err = await provisionDevice(optionsFor(lab, device, { auth } as Partial<ProvisionOptions>)).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.equal(lab.dns.queryCount(), queries, 'refused before any DNS query');
    const message = String((err as Error).message);
    assert.ok(!message.includes(keyBody()), 'never echoes the key');
    assert.ok(!message.includes(PASSPHRASE) && !message.includes(WRONG), 'never echoes a passphrase');
    return err;
  };
  const invalid = async (auth: unknown, option: string): Promise<void> => {
    const err = await refused(auth);
    assert.ok(err instanceof InvalidOptionError, String(err));
    assert.equal(err.option, option, err.message);
  };

  it('a certificate that is not PEM ("hello") → auth.cert', () => invalid({ cert: 'hello', key }, 'auth.cert'));
  it('a truncated PEM certificate → auth.cert', () => invalid({ cert: cert.slice(0, 200), key }, 'auth.cert'));
  it('a PEM block with a corrupted body → auth.cert', () =>
    invalid({ cert: cert.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!!!!!!!!!!!!!!!!!'), key }, 'auth.cert'));
  it('garbage bytes as a Buffer → auth.cert', () => invalid({ cert: Buffer.from([1, 2, 3, 4, 5]), key }, 'auth.cert'));
  it('a key that is not a key → auth.key, not echoed', () => invalid({ cert, key: 'not a key' }, 'auth.key'));
  it('garbage bytes as the key → auth.key', () => invalid({ cert, key: Buffer.from([9, 9, 9]) }, 'auth.key'));
  it('an encrypted key without passphrase → auth.passphrase', () =>
    invalid({ cert, key: encrypted() }, 'auth.passphrase'));
  it('an encrypted key with the wrong passphrase → auth.passphrase, neither echoed', () =>
    invalid({ cert, key: encrypted(), passphrase: WRONG }, 'auth.passphrase'));

  it("another device's key → ProvisioningError DEVICE_KEY_MISMATCH (not DPS_CONNECTION_LOST), before any packet", async () => {
    const err = await refused({ cert, key: (other.auth as { key: string }).key });
    assert.ok(err instanceof ProvisioningError, String(err));
    assert.equal(err.code, 'DEVICE_KEY_MISMATCH');
    assert.equal(err.step, 'credentials');
  });

  it("a key of another algorithm (RSA beside an ECC certificate) → DEVICE_KEY_MISMATCH, not the network's fault", async () => {
    // OpenSSL builds the context without complaint (the key goes into the RSA slot) and the handshake then sends no
    // certificate: the refusal must still be named as the credential.
    const ecc = await lab.createDevice('cred-ecc', 'x509-individual', { keyType: 'ec' });
    const eccCert = (ecc.auth as { cert: string }).cert;
    const err = await provisionDevice(optionsFor(lab, ecc, { auth: { cert: eccCert, key } })).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProvisioningError, String(err));
    assert.equal(err.code, 'DEVICE_KEY_MISMATCH', err.message);
    assert.equal(err.step, 'credentials');
    assert.ok(!String(err.message).includes(keyBody()), 'never echoes the key');
  });

  it('createHubClient: a key of another algorithm → HubConnectionError DEVICE_KEY_MISMATCH, at the door or at open', async () => {
    // A cached boot reaches the hub without DPS: the hub open must name the credential too.
    const ecc = await lab.createDevice('cred-ecc-hub', 'x509-individual', { keyType: 'ec' });
    const result = await provisionDevice(optionsFor(lab, ecc));
    const opts = { tls: { ca: lab.caPem }, port: lab.hub.port, wsPort: lab.hub.wsPort };
    const err = await (async () => {
      const client = createHubClient(result, { cert: (ecc.auth as { cert: string }).cert, key }, opts);
      try {
        await openHubClient(client, { timeoutMs: 20_000 });
      } finally {
        await client.close();
      }
    })().then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof HubConnectionError, String(err));
    assert.equal(err.code, 'DEVICE_KEY_MISMATCH', err.message);
  });

  it('an RSA-768 certificate OpenSSL will not use for TLS (ee key too small) → auth.cert, before any packet', () => {
    const weakKey = crypto
      .generateKeyPairSync('rsa', { modulusLength: 768 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const weak = issueCertificate({ commonName: device.registrationId, usage: 'client' }, weakKey);
    return invalid({ cert: weak.certPem, key: weakKey }, 'auth.cert');
  });

  const provisions = async (auth: unknown): Promise<ProvisioningResult> => {
    const result = await provisionDevice(optionsFor(lab, device, { auth } as Partial<ProvisionOptions>));
    assert.equal(result.assignedHub, lab.hub.host);
    assert.equal(result.deviceId, device.deviceId);
    return result;
  };
  it('a DER certificate Buffer is accepted (converted to PEM) and provisions', () =>
    provisions({ cert: new crypto.X509Certificate(cert).raw, key }));
  it('a DER key Buffer is accepted and provisions', () =>
    provisions({ cert, key: crypto.createPrivateKey(key).export({ format: 'der', type: 'pkcs8' }) }));
  it('PEM as Buffers provisions', () => provisions({ cert: Buffer.from(cert), key: Buffer.from(key) }));
  it('an encrypted key with the right passphrase provisions', () =>
    provisions({ cert, key: encrypted(), passphrase: PASSPHRASE }));

  it('createHubClient: a foreign key is HubConnectionError DEVICE_KEY_MISMATCH, a garbage cert InvalidOptionError auth.cert', async () => {
    const result = await provisionDevice(optionsFor(lab, device));
    const opts = { tls: { ca: lab.caPem }, port: lab.hub.port, wsPort: lab.hub.wsPort };
    assert.throws(
      () => createHubClient(result, { cert, key: (other.auth as { key: string }).key }, opts),
      (e: unknown) => e instanceof HubConnectionError && e.code === 'DEVICE_KEY_MISMATCH',
    );
    assert.throws(
      () => createHubClient(result, { cert: 'hello', key }, opts),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'auth.cert',
    );
  });
});
