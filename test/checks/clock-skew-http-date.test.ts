// The default clock source: the HTTP Date header of DPS's HTTPS answer on 443, read from a verified address.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { clockSkew } from '../../src/checks/clock-skew';
import type { CheckContext, CheckState } from '../../src/checks/types';
import { loadConfig } from '../../src/config/load';
import { tempDir, text } from './fixtures';

describe('clock-skew from the HTTP Date header', () => {
  const dir = tempDir('dps-clock-');
  let server: https.Server;
  let port: number;
  let dateOffsetMs = 0;
  let ca: string;

  before(async () => {
    const key = path.join(dir, 'k.pem');
    const cert = path.join(dir, 'c.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=lab-dps.azure-devices-provisioning.net',
        '-addext',
        'subjectAltName=DNS:lab-dps.azure-devices-provisioning.net',
      ],
      { stdio: 'pipe' },
    );
    ca = cert;
    server = https.createServer({ key: text(key), cert: text(cert) }, (_req, res) => {
      res.setHeader('Date', new Date(Date.now() + dateOffsetMs).toUTCString());
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  function ctx(): CheckContext {
    const loaded = loadConfig({
      flags: {
        provisioningHost: 'lab-dps.azure-devices-provisioning.net',
        caFile: ca,
        expectedCidrs: ['127.0.0.1/32'],
      },
    });
    const state: CheckState = { tcp: { 'dps-tcp-websocket': { port, reachable: ['127.0.0.1'] } } };
    return {
      loaded,
      config: loaded.config,
      settings: { register: false, compareSystem: false, timeoutMs: 2000, now: () => new Date() },
      state,
    };
  }

  it('is ok when the server clock agrees, and names the source', async () => {
    dateOffsetMs = 0;
    const out = await clockSkew.run(ctx());
    assert.equal(out.result, undefined);
    assert.equal(out.findings, undefined);
    assert.match(
      String(out.evidence?.['source']),
      /HTTP Date header from lab-dps\.azure-devices-provisioning\.net at 127\.0\.0\.1:\d+/,
    );
  });

  it('reports CLOCK_SKEW when the server clock is 15 minutes ahead of the device', async () => {
    dateOffsetMs = 15 * 60_000;
    const out = await clockSkew.run(ctx());
    assert.deepEqual(
      out.findings?.map((f) => f.code),
      ['CLOCK_SKEW'],
    );
    assert.equal(out.findings?.[0]?.severity, 'error');
    assert.match(out.findings?.[0]?.message ?? '', /behind/);
  });

  it('is skipped with the reason when DPS on 443 was not reached', async () => {
    const c = ctx();
    c.state = {};
    const out = await clockSkew.run(c);
    assert.equal(out.result, 'skipped');
    assert.match(out.detail ?? '', /--ntp-server/);
  });
});
