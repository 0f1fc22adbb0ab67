import type { Client } from 'azure-iot-device';
import type { ConnectionSession } from '../connection/session';
import { connectableAddresses } from '../endpoint/verify';
import { verifyAssignedHub } from '../endpoint/verify-hub';
import type { NetworkOptions, Policy } from '../endpoint/types';
import { createFinding } from '../findings/finding';
import type { Finding } from '../findings/types';
import { logger } from '../log';
import type { ProvisioningResult } from '../provision/types';
import type { Sockets } from '../support/sockets';

const log = logger('handoff');

/** What a re-verification needs: the hub, the network it was verified in, the policy, and the DNS sockets. */
export interface ReverifySpec {
  result: ProvisioningResult;
  /** The expected ranges the hub client checks against (its options, else the result's). */
  expectedCidrs: string[];
  policy: Policy;
  /** The connector's sockets, so DNS queries go where every other packet goes (and tests see them). */
  sockets?: Sockets;
}

/** One hub client's re-verification state. */
interface Watch {
  session: ConnectionSession;
  spec: ReverifySpec;
  network: NetworkOptions;
  /** The re-verification in flight (or the last one). */
  running: Promise<void>;
  /** Findings of every re-verification so far, oldest first. */
  findings: Finding[];
  /** What DNS answered last (at provisioning, then at each re-verification): what a change is measured against. */
  lastAnswer: string[];
}

const watches = new WeakMap<Client, Watch>();

/**
 * Private endpoint IPs change (endpoint recreated, migration): after a drop or a failed connect, re-resolve and
 * re-verify the hub name under the same ranges, DNS servers and policy before the next attempt. Until that is done
 * the session is pinned to nothing (an attempt fails at once, without a socket), so no unverified address is ever
 * dialled; then it is pinned to the addresses the policy allows. A change is reported as DNS_ANSWER_CHANGED with
 * before/after; a hub that now answers outside the ranges under enforce stays unpinned, with the HUB_* finding.
 */
export function watchHubEndpoint(
  client: Client,
  session: ConnectionSession,
  spec: ReverifySpec,
  transport: NodeJS.EventEmitter,
): void {
  // The same resolvers as at provisioning: the DNS servers its trace names (none = the system resolver).
  const dnsServers = spec.result.hub.trace
    .map((t) => t.resolver)
    .filter((r) => r !== 'system' && r !== 'hosts-file' && r !== 'literal');
  const network: NetworkOptions = {
    expectedCidrs: spec.expectedCidrs,
    ...(dnsServers.length ? { dnsServers: [...new Set(dnsServers)] } : {}),
    policy: spec.policy,
  };
  const lastAnswer = spec.result.hub.addresses.map((a) => a.address);
  watches.set(client, { session, spec, network, running: Promise.resolve(), findings: [], lastAnswer });
  // The transport's own event: the client keeps it to itself when its retry policy reconnects.
  transport.on('disconnect', () => void reverifyHubClient(client));
}

/**
 * Re-verify the hub of a client from createHubClient now (also done on its own after a drop or a failed open), and
 * resolve when done. Never rejects: a resolver that does not answer leaves the addresses verified before.
 */
export function reverifyHubClient(client: Client): Promise<void> {
  const watch = watches.get(client);
  if (!watch) return Promise.resolve();
  watch.running = watch.running.then(() => reverify(watch));
  return watch.running;
}

/** The findings of every re-verification of `client` so far (DNS_ANSWER_CHANGED, HUB_*), oldest first. */
export function hubClientFindings(client: Client): Finding[] {
  return [...(watches.get(client)?.findings ?? [])];
}

async function reverify(watch: Watch): Promise<void> {
  const { session, spec } = watch;
  if (session.isClosed) return;
  const before = watch.lastAnswer;
  const pinned = [...session.target.addresses];
  // Nothing is dialled while the answer is being checked.
  session.repin([]);
  try {
    const hub = await verifyAssignedHub(spec.result.assignedHub, spec.result.dps.host, watch.network, {
      ...(spec.sockets ? { sockets: spec.sockets } : {}),
    });
    const answered = hub.report.addresses.map((a) => a.address);
    const allowed = connectableAddresses(hub.report, spec.policy).map((a) => a.address);
    watch.lastAnswer = answered;
    if (!sameSet(before, answered)) {
      const changed = createFinding('DNS_ANSWER_CHANGED', {
        host: hub.report.host,
        resolver: hub.report.trace[0]?.resolver ?? 'system',
        before,
        after: answered,
      });
      watch.findings.push(changed, ...hub.findings.filter((f) => f.code.startsWith('HUB_') && f.severity === 'error'));
      log('hub %s moved: %o → %o (connecting to %o)', hub.report.host, before, answered, allowed);
    }
    session.repin(allowed);
  } catch (err) {
    // The resolver failed: keep what was verified before rather than strand the device.
    log('re-verifying %s failed: %s', spec.result.assignedHub, (err as Error)?.message ?? String(err));
    session.repin(pinned);
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
