import assert from 'node:assert/strict';
import { loadDeviceIdentity } from '../../src/config/identity';
import { loadConfig } from '../../src/config/load';
import { deviceCert } from '../../src/checks/device-cert';
import { deviceCertChain } from '../../src/checks/device-cert-chain';
import { deviceCertCn } from '../../src/checks/device-cert-cn';
import { deviceCertValidity } from '../../src/checks/device-cert-validity';
import { deviceKeyMatch } from '../../src/checks/device-key-match';
import { runChecks } from '../../src/checks/runner';
import type { CheckContext, CheckReport } from '../../src/checks/types';
import { ecCert, makeCert, pem, put, rsaKey, tempDir } from './fixtures';

const DAY = 86_400_000;
const CHECKS = [deviceCert, deviceCertValidity, deviceKeyMatch, deviceCertCn, deviceCertChain];

describe('device identity checks', () => {
  const dir = tempDir('dps-devchecks-');
  const key = rsaKey();
  const keyFile = put(dir, 'dev.key', key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const now = new Date();

  async function run(
    certPem: string,
    options: { registrationId?: string; keyFile?: string } = {},
  ): Promise<Record<string, CheckReport>> {
    const certFile = put(dir, `cert-${Math.random().toString(36).slice(2)}.pem`, certPem);
    const kf = options.keyFile ?? keyFile;
    const loaded = loadConfig({
      flags: { certFile, keyFile: kf, ...(options.registrationId ? { registrationId: options.registrationId } : {}) },
    });
    const ctx: CheckContext = {
      loaded,
      config: loaded.config,
      identity: loadDeviceIdentity({ certFile, keyFile: kf }),
      settings: { register: false, compareSystem: false, timeoutMs: 1000, now: () => now },
      state: {},
    };
    const reports = await runChecks(CHECKS, ctx);
    return Object.fromEntries(reports.map((r) => [r.id, r]));
  }
  const codes = (r: CheckReport | undefined): string[] => r?.findings.map((f) => f.code) ?? [];

  it('passes a valid certificate whose CN is the registration id and whose key matches', async () => {
    const r = await run(pem(makeCert({ cn: 'dev-1', key })), { registrationId: 'dev-1' });
    assert.deepEqual(
      Object.values(r).map((x) => x.result),
      ['ok', 'ok', 'ok', 'ok', 'ok'],
    );
    assert.match(r['device-cert-chain']?.detail ?? '', /^self-signed/);
  });

  it('reports an expired certificate as DEVICE_CERT_EXPIRED (error) with its dates', async () => {
    const r = await run(
      pem(
        makeCert({
          cn: 'dev-1',
          key,
          notBefore: new Date(now.getTime() - 400 * DAY),
          notAfter: new Date(now.getTime() - 2 * DAY),
        }),
      ),
    );
    assert.equal(r['device-cert-validity']?.result, 'error');
    assert.deepEqual(codes(r['device-cert-validity']), ['DEVICE_CERT_EXPIRED']);
    assert.match(r['device-cert-validity']?.findings[0]?.message ?? '', /"dev-1".*expired on \d{4}-/);
  });

  it('reports a certificate that starts in the future as DEVICE_CERT_NOT_YET_VALID', async () => {
    const r = await run(
      pem(
        makeCert({
          cn: 'dev-1',
          key,
          notBefore: new Date(now.getTime() + 3 * DAY),
          notAfter: new Date(now.getTime() + 300 * DAY),
        }),
      ),
    );
    assert.deepEqual(codes(r['device-cert-validity']), ['DEVICE_CERT_NOT_YET_VALID']);
    assert.equal(r['device-cert-validity']?.result, 'error');
  });

  it('warns with DEVICE_CERT_EXPIRES_SOON under 30 days, not at 31', async () => {
    const soon = await run(
      pem(makeCert({ cn: 'dev-1', key, notAfter: new Date(now.getTime() + 10 * DAY + 3600_000) })),
    );
    assert.equal(soon['device-cert-validity']?.result, 'warning');
    assert.deepEqual(codes(soon['device-cert-validity']), ['DEVICE_CERT_EXPIRES_SOON']);
    assert.equal(soon['device-cert-validity']?.findings[0]?.evidence['daysLeft'], 10);
    const later = await run(
      pem(makeCert({ cn: 'dev-1', key, notAfter: new Date(now.getTime() + 31 * DAY + 3600_000) })),
    );
    assert.equal(later['device-cert-validity']?.result, 'ok');
  });

  it('reports a key from another device as DEVICE_KEY_MISMATCH', async () => {
    const r = await run(pem(makeCert({ cn: 'dev-1', key: rsaKey() })));
    assert.equal(r['device-key-match']?.result, 'error');
    assert.deepEqual(codes(r['device-key-match']), ['DEVICE_KEY_MISMATCH']);
  });

  it('reports an RSA key next to an EC certificate as DEVICE_KEY_MISMATCH (not a crash)', async () => {
    const ec = ecCert(dir, 'dev-ec');
    const certPem = (await import('node:fs')).readFileSync(ec.cert, 'utf8');
    const r = await run(certPem);
    assert.deepEqual(codes(r['device-key-match']), ['DEVICE_KEY_MISMATCH']);
    assert.match(r['device-key-match']?.findings[0]?.message ?? '', /rsa 2048.*ec prime256v1/);
  });

  it('reports a CN that is not the registration id as DEVICE_CERT_CN_MISMATCH with the fix', async () => {
    const r = await run(pem(makeCert({ cn: 'dev-1', key })), { registrationId: 'dev-2' });
    assert.deepEqual(codes(r['device-cert-cn']), ['DEVICE_CERT_CN_MISMATCH']);
    assert.match(r['device-cert-cn']?.findings[0]?.remediation ?? '', /--registration-id "dev-1"|CN=dev-2/);
  });

  it('skips the CN comparison when no registration id is configured', async () => {
    const r = await run(pem(makeCert({ cn: 'dev-1', key })));
    assert.equal(r['device-cert-cn']?.result, 'skipped');
  });

  it('accepts a leaf → intermediate → root chain and refuses the same file in the wrong order', async () => {
    const rootKey = rsaKey();
    const interKey = rsaKey();
    const root = makeCert({ cn: 'Lab Root', key: rootKey, ca: true });
    const inter = makeCert({ cn: 'Lab Group CA', key: interKey, ca: true, issuer: { cert: root, key: rootKey } });
    const leaf = makeCert({ cn: 'dev-1', key, issuer: { cert: inter, key: interKey } });
    const good = await run(pem(leaf) + pem(inter) + pem(root));
    assert.equal(good['device-cert-chain']?.result, 'ok');
    assert.match(good['device-cert-chain']?.detail ?? '', /3 certificates/);
    const bad = await run(pem(leaf) + pem(root) + pem(inter));
    assert.equal(bad['device-cert-chain']?.result, 'error');
    assert.match(bad['device-cert-chain']?.detail ?? '', /certificate 1 \("CN=dev-1"\) is not signed by certificate 2/);
  });

  it('a misordered chain fails with DEVICE_CERT_CHAIN_BROKEN naming the broken link and the fix', async () => {
    const rootKey = rsaKey();
    const interKey = rsaKey();
    const root = makeCert({ cn: 'Lab Root', key: rootKey, ca: true });
    const inter = makeCert({ cn: 'Lab Group CA', key: interKey, ca: true, issuer: { cert: root, key: rootKey } });
    const leaf = makeCert({ cn: 'dev-1', key, issuer: { cert: inter, key: interKey } });
    const bad = (await run(pem(leaf) + pem(root) + pem(inter)))['device-cert-chain'];
    assert.equal(bad?.result, 'error');
    assert.deepEqual(codes(bad), ['DEVICE_CERT_CHAIN_BROKEN']);
    const f = bad?.findings[0];
    assert.equal(f?.severity, 'error');
    assert.deepEqual(
      [f?.evidence['position'], f?.evidence['reason'], f?.evidence['nextSubject']],
      [1, 'not-signed-by-next', 'CN=Lab Root'],
    );
    assert.match(f?.message ?? '', /certificate 1 \("CN=dev-1"\) is not signed by certificate 2 \("CN=Lab Root"\)/);
    assert.match(f?.remediation ?? '', /device certificate first, then its issuing intermediate/);
  });

  it('a chain whose next certificate is not a CA fails with DEVICE_CERT_CHAIN_BROKEN (next-not-ca)', async () => {
    const issuerKey = rsaKey();
    const notCa = makeCert({ cn: 'Not A CA', key: issuerKey });
    const leaf = makeCert({ cn: 'dev-1', key, issuer: { cert: notCa, key: issuerKey } });
    const bad = (await run(pem(leaf) + pem(notCa)))['device-cert-chain'];
    assert.equal(bad?.result, 'error');
    assert.deepEqual(codes(bad), ['DEVICE_CERT_CHAIN_BROKEN']);
    assert.equal(bad?.findings[0]?.evidence['reason'], 'next-not-ca');
    assert.match(bad?.detail ?? '', /certificate 2 \("CN=Not A CA"\) is not a CA certificate/);
  });

  it('flags an expired intermediate in the chain file too', async () => {
    const interKey = rsaKey();
    const inter = makeCert({
      cn: 'Old Group CA',
      key: interKey,
      ca: true,
      notBefore: new Date(now.getTime() - 800 * DAY),
      notAfter: new Date(now.getTime() - DAY),
    });
    const leaf = makeCert({ cn: 'dev-1', key, issuer: { cert: inter, key: interKey } });
    const r = await run(pem(leaf) + pem(inter));
    assert.deepEqual(codes(r['device-cert-validity']), ['DEVICE_CERT_EXPIRED']);
    assert.match(r['device-cert-validity']?.findings[0]?.message ?? '', /Old Group CA.*certificate 2 in the file/);
  });
});
