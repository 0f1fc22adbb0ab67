import type { LabFault } from './types';

type ProtocolFault = Exclude<LabFault, { kind: 'wrong-san' } | { kind: 'expired-cert' }>;

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

/** Whether a fault is about server certificates (global, per target) rather than the DPS protocol. */
export function isCertificateFault(
  fault: LabFault,
): fault is Extract<LabFault, { kind: 'wrong-san' | 'expired-cert' }> {
  return fault.kind === 'wrong-san' || fault.kind === 'expired-cert';
}

export type { ProtocolFault };
