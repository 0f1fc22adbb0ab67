import { parseDnsServer } from '../endpoint/address';
import { createFinding } from '../findings/finding';
import { inspectTls } from '../connection/probe';
import { sntpQuery } from '../connection/sntp';
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

/** The skew against the SNTP server given with --ntp-server. */
async function sntpReading(ctx: CheckContext, server: string): Promise<Reading> {
  const s = parseDnsServer(server, '--ntp-server');
  const port = /:\d+$/.test(server) ? s.port : 123;
  const r = await sntpQuery(
    s.address,
    port,
    ctx.settings.timeoutMs,
    () => ctx.settings.now().getTime(),
    ctx.settings.connector,
  );
  return {
    source: `SNTP ${r.server} (round trip ${r.roundTripMs} ms)`,
    serverTime: r.serverTime,
    skewSeconds: Math.round(r.skewMs / 100) / 10,
  };
}

/** The skew against DPS's HTTP Date header on 443, or the skip that says why there is none. */
async function httpDateReading(ctx: CheckContext, device: Date): Promise<Reading | CheckOutcome> {
  const tcp = ctx.state.tcp?.['dps-tcp-websocket'];
  const address = tcp?.reachable[0];
  const noSource = 'no clock source: pass --ntp-server <ip[:port]> of an NTP server the device can reach';
  if (!tcp || !address) return { result: 'skipped', detail: `${noSource} (DPS on 443 was not reached)` };
  const ca = caOf(ctx);
  const host = ctx.config.provisioningHost as string;
  const tls = await inspectTls(address, tcp.port, host, {
    timeoutMs: Math.min(ctx.settings.timeoutMs, HTTP_DATE_WAIT_MS),
    httpPath: '/',
    ...(ca ? { ca } : {}),
    ...(ctx.settings.connector ? { connector: ctx.settings.connector } : {}),
  });
  if (!tls.httpDate)
    return { result: 'skipped', detail: `${noSource} (no HTTP Date header from ${host} at ${address}:${tcp.port})` };
  const server = new Date(tls.httpDate.date);
  if (Number.isNaN(server.getTime()))
    return { result: 'skipped', detail: `unparseable HTTP Date header "${tls.httpDate.date}"` };
  // The header is truncated to the second: the server's clock was somewhere in [date, date + 1 s).
  const received = new Date(tls.httpDate.receivedAt).getTime() + (device.getTime() - Date.now());
  const raw = (received - server.getTime()) / 1000;
  return {
    source: `HTTP Date header from ${tls.servername} at ${tls.address}:${tls.port} (1 s resolution)`,
    serverTime: server.toISOString(),
    skewSeconds: raw >= 0 && raw < 1 ? 0 : Math.round(raw),
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
 * `clock-skew`: the device clock against a clock reachable inside a VNET — the NTP server given with --ntp-server,
 * else the HTTP Date header of DPS's HTTPS answer on 443 (to the address dps-tcp-websocket reached). Nothing
 * internet-only: with neither, skipped with the reason.
 */
export const clockSkew: Check = {
  id: 'clock-skew',
  title: 'Device clock agrees with the server clock',
  section: 'device-identity',
  // Reads only which DPS address answered on 443 (for the HTTP Date); runs alongside the TLS checks.
  after: ['dps-tcp-websocket'],
  async run(ctx) {
    const device = ctx.settings.now();
    const reading = ctx.settings.ntpServer
      ? await sntpReading(ctx, ctx.settings.ntpServer)
      : await httpDateReading(ctx, device);
    return 'skewSeconds' in reading ? judge(device, reading) : reading;
  },
};
