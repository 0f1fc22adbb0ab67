import type { Finding } from '../findings/types';
import type { CheckReport } from './types';

// The catalogue's fixes speak to a programmer (`network.expectedCidrs`, `retry.maxAttempts`, `forceReprovision`);
// a technician running dps-check has flags and config-file keys. dps-check rewrites them here, once, as it renders
// (text, --json and --report all show the rewritten finding); the library keeps its own wording.

/** Whole phrases first: where the library's sentence does not survive a word-for-word swap. */
const PHRASES: readonly (readonly [RegExp, string])[] = [
  [
    /\(auth\.key in code; --key or keyFile in the config for\s+dps-check\)/g,
    '(--key, or "keyFile" in the config file)',
  ],
  [/\braise retry\.maxAttempts or timeoutMs\b/g, 'raise --timeout-ms'],
  [/\(tls\.ca \/ --ca\)/g, '(--ca, or "caFile" in the config file)'],
  [/\bpass them as tls\.ca\b/g, 'pass them with --ca (or "caFile" in the config file)'],
  [/\bre-provision \(forceReprovision\) to re-create it/g, 'register again (dps-check --register) to re-create it'],
  [/\bchoose another cache\.path\b/g, 'choose another path for the assignment cache'],
  [/\b(keep|Keep) (?:network\.)?policy ["']enforce["']/g, '$1 --policy enforce'],
  [/\bRaise network\.dnsTimeoutMs\b/g, 'Raise --timeout-ms'],
];

/** A library option name and what dps-check calls it: a flag, and the config-file key when there is one. */
export interface InterfaceName {
  library: string;
  flag: string;
  configKey?: string;
}

/** Every library option name a catalogue text uses, and its dps-check name. */
export const INTERFACE_NAMES: readonly InterfaceName[] = [
  { library: 'network.expectedCidrs', flag: '--expect-cidr', configKey: 'expectedCidrs' },
  { library: 'network.dnsServers', flag: '--dns-server', configKey: 'dnsServers' },
  { library: 'network.dnsTimeoutMs', flag: '--timeout-ms' },
  { library: 'network.policy', flag: '--policy', configKey: 'policy' },
  { library: 'retry.maxAttempts', flag: '--timeout-ms' },
  { library: 'tls.ca', flag: '--ca', configKey: 'caFile' },
  { library: 'auth.key', flag: '--key', configKey: 'keyFile' },
  { library: 'auth.cert', flag: '--cert', configKey: 'certFile' },
  { library: 'forceReprovision', flag: '--register' },
  { library: 'timeoutMs', flag: '--timeout-ms' },
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const WORDS: readonly (readonly [RegExp, string])[] = INTERFACE_NAMES.map((n) => [
  new RegExp(`(?<![\\w.])${escape(n.library)}(?![\\w])`, 'g'),
  n.configKey ? `${n.flag} ("${n.configKey}" in the config file)` : n.flag,
]);

/** `text` with the library's option names replaced by dps-check's flags and config-file keys. */
export function inInterfaceWords(text: string): string {
  return [...PHRASES, ...WORDS].reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
}

/** A finding as dps-check shows it: message and fix in the words of its interface. */
export function adviseFinding(f: Finding): Finding {
  return { ...f, message: inInterfaceWords(f.message), remediation: inInterfaceWords(f.remediation) };
}

/** A check's report as dps-check shows it (see {@link adviseFinding}). */
export function adviseReport(r: CheckReport): CheckReport {
  return r.findings.length ? { ...r, findings: r.findings.map(adviseFinding) } : r;
}
