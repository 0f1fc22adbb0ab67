// An NTP server that says it is not synchronised (leap indicator 3, stratum 0 or 16) is no clock source: its time is
// not trusted (no CLOCK_SKEW from it), CLOCK_SOURCE_UNSYNCHRONISED says so, and DPS's HTTP Date is used instead.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { clockSkew } from '../../src/checks/clock-skew';
import type { CheckContext, CheckState } from '../../src/checks/types';
import { loadConfig } from '../../src/config/load';
import { tempDir, text } from './fixtures';
import { startSntpServer, type SntpServer } from './sntp-server';

const HOST = 'lab-dps.azure-devices-provisioning.net';
const ONE_HOUR = 3_600_000;

describe('clock-skew against an unsynchronised NTP server', () => {
  const dir = tempDir('dps-clock-unsync-');
  let ntp: SntpServer;
  let https443: https.Server;
  let httpsPort: number;
  let ca: string;
  let dateOffsetMs = 0;

  before(async () => {
    ntp = await startSntpServer();
    const key = path.join(dir, 'k.pem');
    ca = path.join(dir, 'c.pem');
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
        ca,
        '-days',
        '2',
        '-subj',
        `/CN=${HOST}`,
      ].concat(['-addext', `subjectAltName=DNS:${HOST}`]),
      { stdio: 'pipe' },
    );
    https443 = https.createServer({ key: text(key), cert: text(ca) }, (_req, res) => {
      res.setHeader('Date', new Date(Date.now() + dateOffsetMs).toUTCString());
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => https443.listen(0, '127.0.0.1', r));
    httpsPort = (https443.address() as AddressInfo).port;
  });
  after(async () => {
    await ntp.close();
    await new Promise<void>((r) => https443.close(() => r()));
  });
  beforeEach(() => {
    ntp.setHeader({});
    ntp.setOffset(0);
    dateOffsetMs = 0;
  });

  /** A context with --ntp-server; `dpsReached` adds the DPS address that answered on 443 (the HTTP Date source). */
  function ctx(dpsReached: boolean): CheckContext {
    const loaded = loadConfig({ flags: { provisioningHost: HOST, caFile: ca, expectedCidrs: ['127.0.0.1/32'] } });
    const state: CheckState = dpsReached
      ? { tcp: { 'dps-tcp-websocket': { port: httpsPort, reachable: ['127.0.0.1'] } } }
      : {};
    return {
      loaded,
      config: loaded.config,
      settings: {
        register: false,
        compareSystem: false,
        ntpServer: ntp.endpoint,
        timeoutMs: 5000,
        now: () => new Date(),
      },
      state,
    };
  }

  const unsynchronised: [string, { leap?: number; stratum?: number; refId?: string }][] = [
    ['leap indicator 3 (alarm)', { leap: 3, stratum: 2 }],
    ['stratum 16', { leap: 0, stratum: 16 }],
    ['leap indicator 3 and stratum 16 (chrony and ntpd before their first sync)', { leap: 3, stratum: 16 }],
    ['stratum 0 with kiss code RATE', { leap: 3, stratum: 0, refId: 'RATE' }],
  ];
  for (const [name, header] of unsynchronised) {
    it(`${name}: CLOCK_SOURCE_UNSYNCHRONISED (warning), its time an hour off is not trusted`, async () => {
      ntp.setHeader(header);
      ntp.setOffset(ONE_HOUR);
      const out = await clockSkew.run(ctx(false));
      assert.deepEqual(
        out.findings?.map((f) => [f.code, f.severity]),
        [['CLOCK_SOURCE_UNSYNCHRONISED', 'warning']],
      );
      const finding = out.findings?.[0];
      assert.match(finding?.message ?? '', new RegExp(`${ntp.endpoint.replace(/\./g, '\\.')}.*not synchronised`));
      assert.equal(finding?.evidence['stratum'], header.stratum);
      assert.equal(finding?.evidence['leapIndicator'], header.leap);
      if (header.refId) assert.match(finding?.message ?? '', /kiss code RATE/);
      assert.match(out.detail ?? '', /no other clock source/);
    });
  }

  it('falls back to the HTTP Date of DPS on 443 and judges the clock against that', async () => {
    ntp.setHeader({ leap: 3, stratum: 16 });
    ntp.setOffset(ONE_HOUR);
    dateOffsetMs = 0;
    const agrees = await clockSkew.run(ctx(true));
    assert.deepEqual(
      agrees.findings?.map((f) => f.code),
      ['CLOCK_SOURCE_UNSYNCHRONISED'],
    );
    assert.match(String(agrees.evidence?.['source']), /HTTP Date header from lab-dps/);

    dateOffsetMs = -600_000;
    const skewed = await clockSkew.run(ctx(true));
    assert.deepEqual(skewed.findings?.map((f) => [f.code, f.severity]).sort(), [
      ['CLOCK_SKEW', 'error'],
      ['CLOCK_SOURCE_UNSYNCHRONISED', 'warning'],
    ]);
    assert.match(skewed.findings?.find((f) => f.code === 'CLOCK_SKEW')?.message ?? '', /HTTP Date header/);
  });

  it('a synchronised server is still the clock source (control)', async () => {
    ntp.setOffset(-600_000);
    const out = await clockSkew.run(ctx(false));
    assert.deepEqual(
      out.findings?.map((f) => f.code),
      ['CLOCK_SKEW'],
    );
    assert.match(out.findings?.[0]?.message ?? '', /SNTP 127\.0\.0\.1/);
  });
});
