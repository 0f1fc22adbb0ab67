import { InvalidOptionError } from '../errors';
import type { LabFault } from './types';

/** The faults a listener itself injects, for every client of the target: its certificate, or a stalled handshake. */
type ListenerFault = Extract<LabFault, { kind: 'wrong-san' | 'expired-cert' | 'tls-stall' }>;

type ProtocolFault = Exclude<LabFault, ListenerFault>;

interface Armed {
  fault: ProtocolFault;
  remaining: number;
}

/**
 * The DPS protocol faults in force: one global and one per registration id (which wins). Each fires `times` times
 * (default: every time) and then disarms itself.
 */
export class FaultTable {
  private global: Armed | undefined;
  private readonly perRegistration = new Map<string, Armed>();

  set(fault: ProtocolFault | undefined, registrationId?: string): void {
    const armed = fault ? { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY } : undefined;
    if (registrationId === undefined) {
      this.global = armed;
      if (!fault) this.perRegistration.clear();
      return;
    }
    if (armed) this.perRegistration.set(registrationId.toLowerCase(), armed);
    else this.perRegistration.delete(registrationId.toLowerCase());
  }

  /** The armed fault of `kind` for this registration, without consuming it. */
  peek(registrationId: string, kind: ProtocolFault['kind']): ProtocolFault | undefined {
    const armed = this.perRegistration.get(registrationId.toLowerCase()) ?? this.global;
    return armed && armed.remaining > 0 && armed.fault.kind === kind ? armed.fault : undefined;
  }

  /** The fault that fires for this request, if any (consumes one of its `times`). */
  take<K extends ProtocolFault['kind']>(
    registrationId: string,
    kinds: readonly K[],
  ): Extract<ProtocolFault, { kind: K }> | undefined {
    const armed = this.perRegistration.get(registrationId.toLowerCase()) ?? this.global;
    if (!armed || armed.remaining <= 0 || !(kinds as readonly string[]).includes(armed.fault.kind)) return undefined;
    armed.remaining -= 1;
    return armed.fault as Extract<ProtocolFault, { kind: K }>;
  }
}

/** Whether a fault is a listener's (server certificate or TLS stall; global, per target) rather than the protocol's. */
export function isListenerFault(fault: LabFault): fault is ListenerFault {
  return fault.kind === 'wrong-san' || fault.kind === 'expired-cert' || fault.kind === 'tls-stall';
}

/** The faults the hub injects, per device id. */
const HUB_FAULT_KINDS_LIST = ['hub-refuse', 'hub-drop-after-connack', 'hub-never-connack'] as const;

/** Whether a fault is the hub's (scoped by device id) rather than DPS's. */
export function isHubFault(
  fault: LabFault,
): fault is Extract<LabFault, { kind: (typeof HUB_FAULT_KINDS_LIST)[number] }> {
  return (HUB_FAULT_KINDS_LIST as readonly string[]).includes(fault.kind);
}

/** The DPS protocol faults, for the error message and the check below. */
const PROTOCOL_FAULT_KINDS: readonly ProtocolFault['kind'][] = [
  'throttle',
  'server-error',
  'error-status',
  'drop-after-connack',
  'drop-mid-poll',
  'never-answer',
  'malformed-json',
  'oversized-payload',
  'failed',
  'status',
  'patch-response',
  ...HUB_FAULT_KINDS_LIST,
];

/**
 * Check a fault handed to {@link LabHandle.setFault} at the door.
 * @throws InvalidOptionError naming the field: not a fault, a bad `times`, a certificate fault scoped to one
 * registration or with a bad `target`, an unknown kind.
 */
export function checkFault(fault: LabFault, scope: { registrationId?: string; deviceId?: string }): void {
  if (typeof fault !== 'object' || fault === null || typeof fault.kind !== 'string') {
    throw new InvalidOptionError(
      'fault',
      `${JSON.stringify(fault)} is not a LabFault`,
      "Pass e.g. { kind: 'throttle', times: 2 }.",
    );
  }
  if ('times' in fault && fault.times !== undefined && (!Number.isInteger(fault.times) || fault.times < 1)) {
    throw new InvalidOptionError(
      'fault.times',
      `${String(fault.times)} is not a positive integer`,
      'Omit it for "every time".',
    );
  }
  if (isListenerFault(fault)) {
    if (scope.registrationId !== undefined || scope.deviceId !== undefined) {
      throw new InvalidOptionError(
        scope.registrationId !== undefined ? 'scope.registrationId' : 'scope.deviceId',
        `a ${fault.kind} fault cannot be scoped to one client`,
        'It acts before the client says who it is (TLS, per listener): set it globally.',
      );
    }
    const target = fault.target ?? 'dps';
    if (target !== 'dps' && target !== 'hub') {
      throw new InvalidOptionError(
        'fault.target',
        `${JSON.stringify(target)} is not 'dps' or 'hub'`,
        "Use 'dps' or 'hub'.",
      );
    }
    return;
  }
  checkFaultFields(fault, scope);
  if (!PROTOCOL_FAULT_KINDS.includes(fault.kind)) {
    throw new InvalidOptionError(
      'fault.kind',
      `${JSON.stringify(fault.kind)} is not a lab fault`,
      `Use one of ${FAULT_KINDS.join(', ')}.`,
    );
  }
}

/** Every fault kind {@link LabHandle.setFault} takes, for validation and the CLI. */
export const FAULT_KINDS: readonly LabFault['kind'][] = [
  ...PROTOCOL_FAULT_KINDS,
  'wrong-san',
  'expired-cert',
  'tls-stall',
];

export type { ListenerFault, ProtocolFault };

/** The fields some kinds require, and which scope each kind takes. */
function checkFaultFields(fault: LabFault, scope: { registrationId?: string; deviceId?: string }): void {
  if (isHubFault(fault) ? scope.registrationId !== undefined : scope.deviceId !== undefined) {
    throw new InvalidOptionError(
      isHubFault(fault) ? 'scope.registrationId' : 'scope.deviceId',
      `a ${fault.kind} fault is scoped by ${isHubFault(fault) ? 'device id' : 'registration id'}`,
      isHubFault(fault) ? 'Pass { deviceId } for hub faults.' : 'Pass { registrationId } for DPS faults.',
    );
  }
  if (fault.kind === 'status' && (typeof fault.status !== 'string' || fault.status.length === 0)) {
    throw new InvalidOptionError(
      'fault.status',
      `${JSON.stringify(fault.status)} is not a status`,
      "Use e.g. 'unassigned'.",
    );
  }
  if (fault.kind === 'patch-response' && fault.on !== 'register' && fault.on !== 'poll') {
    throw new InvalidOptionError(
      'fault.on',
      `${JSON.stringify(fault.on)} is not 'register' or 'poll'`,
      "Use 'register' or 'poll'.",
    );
  }
}
