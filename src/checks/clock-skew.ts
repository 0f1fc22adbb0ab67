import { parseDnsServer } from '../endpoint/address';
import { createFinding } from '../findings/finding';
import { inspectTls } from '../connection/probe';
import { sntpQuery } from '../connection/sntp';
import type { Finding } from '../findings/types';
import { caOf } from './tls-handshake';
import type { Check, CheckContext, CheckOutcome } from './types';

/** How long to wait for DPS's HTTP answer on 443 (ms): a real service answers at once. */
export const HTTP_DATE_WAIT_MS = 1500;

/** Skew above this is a warning (seconds). */
export const SKEW_WARNING_SECONDS = 60;
/** Skew above this is an error (seconds): SAS tokens and fresh certificates start failing. */
export const SKEW_ERROR_SECONDS = 300;

/** A reference time and how far the device clock is from it. */
interface Reading {
  source: string;
  serverTime: string;
  skewSeconds: number;
}

/** The skew against the SNTP server given with --ntp-server, or the finding that says its time is not to be trusted. */
async function sntpReading(ctx: CheckContext, server: string): Promise<Reading | Finding> {
  const s = parseDnsServer(server, '--ntp-server');
  const port = /:\d+$/.test(server) ? s.port : 123;
  const r = await sntpQuery(
    s.address,
    port,
    ctx.settings.timeoutMs,
    () => ctx.settings.now().getTime(),
    ctx.settings.connector,
  );
  if (!r.synchronised) {
    return createFinding('CLOCK_SOURCE_UNSYNCHRONISED', {
      server: r.server,
      leapIndicator: r.leapIndicator,
      stratum: r.stratum,
      ...(r.kissCode !== undefined ? { kissCode: r.kissCode } : {}),
    });
  }
  return {
    source: `SNTP ${r.server} (round trip ${r.roundTripMs} ms)`,
    serverTime: r.serverTime,
    skewSeconds: Math.round(r.skewMs / 100) / 10,
  };
}

/** The skew against DPS's HTTP Date header on 443, or why there is none. */
async function httpDateReading(ctx: CheckContext, device: Date): Promise<Reading | { noReading: string }> {
  const tcp = ctx.state.tcp?.['dps-tcp-websocket'];
  const address = tcp?.reachable[0];
  if (!tcp || !address) return { noReading: 'DPS on 443 was not reached' };
  const ca = caOf(ctx);
  const host = ctx.config.provisioningHost as string;
  const tls = await inspectTls(address, tcp.port, host, {
    timeoutMs: Math.min(ctx.settings.timeoutMs, HTTP_DATE_WAIT_MS),
    httpPath: '/',
    ...(ca ? { ca } : {}),
    ...(ctx.settings.connector ? { connector: ctx.settings.connector } : {}),
  });
  if (!tls.httpDate) return { noReading: `no HTTP Date header from ${host} at ${address}:${tcp.port}` };
  const server = new Date(tls.httpDate.date);
  if (Number.isNaN(server.getTime())) return { noReading: `unparseable HTTP Date header "${tls.httpDate.date}"` };
  // The header is truncated to the second: the server's clock was somewhere in [date, date + 1 s).
  const received = new Date(tls.httpDate.receivedAt).getTime() + (device.getTime() - Date.now());
  const raw = (received - server.getTime()) / 1000;
  return {
    source: `HTTP Date header from ${tls.servername} at ${tls.address}:${tls.port} (1 s resolution)`,
    serverTime: server.toISOString(),
    skewSeconds: raw >= 0 && raw < 1 ? 0 : Math.round(raw),
  };
}

const NO_SOURCE = 'no clock source: pass --ntp-server <ip[:port]> of an NTP server the device can reach';

/** The HTTP Date fallback after an unsynchronised NTP server: judged against DPS's clock, or the warning alone. */
async function afterUnsynchronised(ctx: CheckContext, device: Date, unsynchronised: Finding): Promise<CheckOutcome> {
  const fallback = await httpDateReading(ctx, device);
  const server = String(unsynchronised.evidence['server']);
  if ('noReading' in fallback) {
    return {
      findings: [unsynchronised],
      evidence: { ntpServer: unsynchronised.evidence },
      detail: `${server} is not synchronised and there is no other clock source (${fallback.noReading})`,
    };
  }
  const judged = judge(device, fallback);
  return {
    ...judged,
    findings: [unsynchronised, ...(judged.findings ?? [])],
    evidence: { ...judged.evidence, ntpServer: unsynchronised.evidence },
  };
}

/** CLOCK_SKEW as an error past {@link SKEW_ERROR_SECONDS}, a warning past {@link SKEW_WARNING_SECONDS}. */
function judge(device: Date, { source, serverTime, skewSeconds }: Reading): CheckOutcome {
  const evidence = {
    source,
    deviceTime: device.toISOString(),
    serverTime,
    skewSeconds,
    thresholdSeconds: SKEW_WARNING_SECONDS,
  };
  const abs = Math.abs(skewSeconds);
  if (abs > SKEW_ERROR_SECONDS)
    return {
      findings: [createFinding('CLOCK_SKEW', { ...evidence, thresholdSeconds: SKEW_ERROR_SECONDS })],
      evidence,
    };
  if (abs > SKEW_WARNING_SECONDS)
    return { findings: [createFinding('CLOCK_SKEW', evidence, { severity: 'warning' })], evidence };
  return { evidence, detail: `${skewSeconds >= 0 ? '+' : ''}${skewSeconds} s against ${source}` };
}

/**
 * `clock-skew`: the device clock against a clock reachable inside a VNET — the NTP server given with --ntp-server
 * (unless it says it is not synchronised: CLOCK_SOURCE_UNSYNCHRONISED, and its time is not used), else the HTTP
 * Date header of DPS's HTTPS answer on 443 (to the address dps-tcp-websocket reached). Nothing internet-only: with
 * neither, skipped with the reason.
 */
export const clockSkew: Check = {
  id: 'clock-skew',
  title: 'Device clock agrees with the server clock',
  section: 'device-identity',
  // Reads only which DPS address answered on 443 (for the HTTP Date); runs alongside the TLS checks.
  after: ['dps-tcp-websocket'],
  async run(ctx) {
    const device = ctx.settings.now();
    if (ctx.settings.ntpServer) {
      const reading = await sntpReading(ctx, ctx.settings.ntpServer);
      return 'skewSeconds' in reading ? judge(device, reading) : afterUnsynchronised(ctx, device, reading);
    }
    const reading = await httpDateReading(ctx, device);
    if ('noReading' in reading) return { result: 'skipped', detail: `${NO_SOURCE} (${reading.noReading})` };
    return judge(device, reading);
  },
};
