import { parseDnsServer } from '../endpoint/address';
import { createFinding } from '../findings/finding';
import { sntpQuery } from './probe';
import type { TlsProbeResult } from './probe';
import { stateOf, type Check } from './types';

/** Skew above this is a warning (seconds). */
export const SKEW_WARNING_SECONDS = 60;
/** Skew above this is an error (seconds): SAS tokens and fresh certificates start failing. */
export const SKEW_ERROR_SECONDS = 300;

/**
 * `clock-skew`: the device clock against a clock reachable inside a VNET — the NTP server given with --ntp-server,
 * else the HTTP Date header DPS sent on 443 during dps-tls-websocket. Nothing internet-only: with neither, skipped.
 */
export const clockSkew: Check = {
  id: 'clock-skew',
  title: 'Device clock agrees with the server clock',
  section: 'device-identity',
  async run(ctx) {
    const device = ctx.settings.now();
    let source: string;
    let serverTime: string;
    let skewSeconds: number;
    if (ctx.settings.ntpServer) {
      const s = parseDnsServer(ctx.settings.ntpServer, '--ntp-server');
      const port = /:\d+$/.test(ctx.settings.ntpServer) ? s.port : 123;
      const r = await sntpQuery(s.address, port, ctx.settings.timeoutMs, () => ctx.settings.now().getTime());
      source = `SNTP ${r.server} (round trip ${r.roundTripMs} ms)`;
      serverTime = r.serverTime;
      skewSeconds = Math.round(r.skewMs / 100) / 10;
    } else {
      const tls = stateOf<TlsProbeResult>(ctx, 'dps-tls-websocket');
      if (!tls?.httpDate) {
        return { result: 'skipped', detail: 'no clock source: pass --ntp-server <ip[:port]> of an NTP server the device can reach (DPS HTTP Date on 443 was not available)' };
      }
      const server = new Date(tls.httpDate.date);
      if (Number.isNaN(server.getTime())) return { result: 'skipped', detail: `unparseable HTTP Date header "${tls.httpDate.date}"` };
      source = `HTTP Date header from ${tls.servername} at ${tls.address}:${tls.port} (1 s resolution)`;
      serverTime = server.toISOString();
      // The header is truncated to the second: the server's clock was somewhere in [date, date + 1 s).
      const received = new Date(tls.httpDate.receivedAt).getTime() + (device.getTime() - Date.now());
      const raw = (received - server.getTime()) / 1000;
      skewSeconds = raw >= 0 && raw < 1 ? 0 : Math.round(raw);
    }
    const evidence = { source, deviceTime: device.toISOString(), serverTime, skewSeconds, thresholdSeconds: SKEW_WARNING_SECONDS };
    const abs = Math.abs(skewSeconds);
    if (abs > SKEW_ERROR_SECONDS) return { findings: [createFinding('CLOCK_SKEW', { ...evidence, thresholdSeconds: SKEW_ERROR_SECONDS })], evidence };
    if (abs > SKEW_WARNING_SECONDS) return { findings: [createFinding('CLOCK_SKEW', evidence, { severity: 'warning' })], evidence };
    return { evidence, detail: `${skewSeconds >= 0 ? '+' : ''}${skewSeconds} s against ${source}` };
  },
};
