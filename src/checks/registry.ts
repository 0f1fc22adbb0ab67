import { dpsCache } from './cache-check';
import { clockSkew } from './clock-skew';
import { configWellFormed } from './config-well-formed';
import { deviceCert } from './device-cert';
import { deviceCertChain } from './device-cert-chain';
import { deviceCertCn } from './device-cert-cn';
import { deviceCertValidity } from './device-cert-validity';
import { deviceKeyMatch } from './device-key-match';
import { dpsDns } from './dps-dns';
import { dpsHost } from './dps-host';
import { dpsRegister } from './dps-register';
import { hubDns } from './hub-dns';
import { dpsTcpMqtt, dpsTcpWebsocket, hubTcpMqtt, hubTcpWebsocket } from './tcp-reach';
import { tlsEnvironment } from './tls-environment';
import { dpsTlsMqtt, dpsTlsWebsocket, hubTlsMqtt, hubTlsWebsocket } from './tls-handshake';
import { SECTIONS, type Check } from './types';

/**
 * A registry: `checks` validated by {@link assertRegistry} (section order, unique ids, every `dependsOn` and `after`
 * an earlier check) and frozen. Build every registry through it, so a misordered one throws where it is defined: for
 * {@link CHECKS}, when this module loads, i.e. on every dps-check start and in every test that imports it.
 */
export function defineRegistry(checks: readonly Check[]): readonly Check[] {
  assertRegistry(checks);
  return Object.freeze([...checks]);
}

/**
 * Every check, in run order (sections in {@link SECTIONS} order; inside a section, dependencies first).
 * Ids are stable: scripts use them with --dont-run and read them from --json.
 */
export const CHECKS: readonly Check[] = defineRegistry([
  configWellFormed,
  dpsHost,
  dpsDns,
  dpsTcpMqtt,
  dpsTcpWebsocket,
  tlsEnvironment,
  dpsTlsMqtt,
  dpsTlsWebsocket,
  clockSkew,
  deviceCert,
  deviceCertValidity,
  deviceKeyMatch,
  deviceCertCn,
  deviceCertChain,
  dpsCache,
  dpsRegister,
  hubDns,
  hubTcpMqtt,
  hubTcpWebsocket,
  hubTlsMqtt,
  hubTlsWebsocket,
]);

/** Ids of all checks, in run order. */
export function checkIds(checks: readonly Check[] = CHECKS): string[] {
  return checks.map((c) => c.id);
}

/** Throws when the registry is out of section order or a dependency is not an earlier check (a programming error). */
export function assertRegistry(checks: readonly Check[] = CHECKS): void {
  const seen = new Set<string>();
  let section = 0;
  for (const c of checks) {
    const idx = SECTIONS.indexOf(c.section);
    if (idx < section) throw new Error(`check ${c.id} (section ${c.section}) is out of section order`);
    section = idx;
    if (seen.has(c.id)) throw new Error(`duplicate check id ${c.id}`);
    for (const d of c.dependsOn ?? [])
      if (!seen.has(d)) throw new Error(`check ${c.id} depends on ${d}, which does not run before it`);
    for (const d of c.after ?? [])
      if (!seen.has(d)) throw new Error(`check ${c.id} runs after ${d}, which does not run before it`);
    seen.add(c.id);
  }
}
