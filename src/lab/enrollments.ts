import crypto from 'node:crypto';
import type { PeerInfo } from './mqtt-listener';
import { deriveDeviceKey, verifySas } from './sas';
import type { LabDeviceKind } from './types';

/** One individual enrollment. */
export interface Enrollment {
  registrationId: string;
  deviceId: string;
  kind: LabDeviceKind;
  status: 'enabled' | 'disabled';
  /** x509-individual: the enrolled device certificate's thumbprint. */
  thumbprint?: string;
  /** symmetric-key: the enrollment's primary key. */
  symmetricKey?: string;
  /** Allocation fails for this enrollment: DPS answers status "failed" with this errorCode and errorMessage. */
  allocationFailure?: AllocationFailure;
  /** registrationState.substatus on assignment. Default 'initialAssignment'. */
  substatus?: Substatus;
}

/** What DPS puts in registrationState when allocation fails (e.g. 400207, 400208, 400209). */
export interface AllocationFailure {
  errorCode: number;
  errorMessage: string;
}

/** registrationState.substatus values DPS reports with status "assigned". */
export type Substatus =
  'initialAssignment' | 'deviceDataMigrated' | 'deviceDataReset' | 'reprovisionedToInitialAssignment';

/** The lab's two group enrollments. */
export type GroupKind = 'x509-group' | 'symmetric-key-group';

/** A group enrollment's settings: disabled, or failing allocation for every member. */
export interface GroupSettings {
  status: 'enabled' | 'disabled';
  allocationFailure?: AllocationFailure;
}

/** The enrollment group ids DPS reports in registrationState.x509 / .symmetricKey for group members. */
export const GROUP_IDS: Record<GroupKind, string> = {
  'x509-group': 'lab-x509-group',
  'symmetric-key-group': 'lab-symmetric-key-group',
};

/** How a device authenticates to the hub once DPS has assigned it (mirrors what DPS creates in the hub registry). */
export type HubIdentity =
  | { type: 'x509-thumbprint'; thumbprint: string }
  | { type: 'x509-ca'; caThumbprint: string }
  | { type: 'sas'; key: string };

/**
 * Why authentication failed, for the lab's log line and its answer. `inconsistent`: the CONNECT contradicts itself
 * (no credential at all, certificate CN ≠ registration id), which DPS refuses at CONNACK; `credentials`: a well-formed
 * CONNECT whose certificate or key DPS does not accept (`errorCode` 401002, or 401000 for an expired SAS), which DPS
 * answers with 401 after CONNACK 0; `disabled`: the credentials are good but the enrollment or its group is disabled.
 */
export type AuthResult =
  | { ok: true; enrollment: Enrollment; identity: HubIdentity }
  | { ok: false; reason: string; kind: 'inconsistent' }
  | { ok: false; reason: string; kind: 'credentials'; errorCode: number; message: string }
  | { ok: false; reason: string; kind: 'disabled'; enrollment: Enrollment };

const badSas = (reason: string): AuthResult => ({
  ok: false,
  reason,
  kind: 'credentials',
  errorCode: /expired/.test(reason) ? 401000 : 401002,
  message: 'Unauthorized',
});
const badCertificate = (reason: string): AuthResult => ({
  ok: false,
  reason,
  kind: 'credentials',
  errorCode: 401002,
  message: 'Invalid certificate.',
});

/**
 * The DPS enrollment list: individual enrollments plus the two lab group enrollments (an X.509 group whose CA is the
 * lab's group intermediate, and a symmetric-key group). Authentication follows DPS: individual X.509 by thumbprint,
 * group X.509 by a chain to the group CA with CN = registration id, SAS with the individual or group-derived key.
 */
export class Enrollments {
  private readonly individual = new Map<string, Enrollment>();
  private readonly groupMembers = new Map<string, Enrollment>();
  /** The symmetric-key group enrollment's primary key (base64, 64 bytes like DPS). */
  readonly groupKey = crypto.randomBytes(64).toString('base64');
  /** The two group enrollments' settings ({@link LabHandle.setEnrollmentGroup}). */
  readonly groups: Record<GroupKind, GroupSettings> = {
    'x509-group': { status: 'enabled' },
    'symmetric-key-group': { status: 'enabled' },
  };

  constructor(
    readonly idScope: string,
    readonly groupCaThumbprint: string,
    /** The service clock (ms) that SAS expiry and certificate validity are judged by: the lab clock, maybe skewed. */
    private readonly now: () => number = Date.now,
  ) {}

  add(enrollment: Enrollment): void {
    const isGroup = enrollment.kind === 'x509-group' || enrollment.kind === 'symmetric-key-group';
    const id = enrollment.registrationId.toLowerCase();
    // re-enrolling replaces: never leave the old enrollment behind in the other list
    (isGroup ? this.individual : this.groupMembers).delete(id);
    (isGroup ? this.groupMembers : this.individual).set(id, enrollment);
  }

  /** Authenticate a DPS CONNECT for `registrationId`, with a SAS `password` or the TLS client certificate. */
  authenticate(registrationId: string, password: string | undefined, peer: PeerInfo): AuthResult {
    if (password !== undefined) return this.authenticateSas(registrationId, password);
    const cert = peer.certificate;
    if (!cert) {
      return {
        ok: false,
        kind: 'inconsistent',
        reason: `${registrationId}: neither a client certificate nor a SAS token`,
      };
    }
    return this.authenticateCertificate(registrationId, cert);
  }

  /** The individual enrollment's key when it has one, else the key derived from the group key. */
  private authenticateSas(registrationId: string, password: string): AuthResult {
    const individual = this.individual.get(registrationId.toLowerCase());
    const resource = `${this.idScope}/registrations/${registrationId}`;
    if (individual?.symmetricKey) {
      const problem = verifySas(password, {
        resource,
        key: individual.symmetricKey,
        keyName: 'registration',
        nowSeconds: this.nowSeconds(),
      });
      if (problem) return badSas(`SAS for individual enrollment ${registrationId}: ${problem}`);
      return this.enabled(individual, { type: 'sas', key: individual.symmetricKey }, registrationId);
    }
    const key = deriveDeviceKey(this.groupKey, registrationId);
    const problem = verifySas(password, { resource, key, keyName: 'registration', nowSeconds: this.nowSeconds() });
    if (problem) return badSas(`SAS for ${registrationId} (no individual enrollment; group key): ${problem}`);
    return this.enabled(this.member(registrationId, 'symmetric-key-group'), { type: 'sas', key }, registrationId);
  }

  /** A valid certificate with CN = registration id: the enrolled thumbprint, else a chain to the group CA. */
  private authenticateCertificate(registrationId: string, cert: NonNullable<PeerInfo['certificate']>): AuthResult {
    const id = registrationId.toLowerCase();
    const individual = this.individual.get(id);
    const validity = certificateValidityProblem(cert, this.now());
    if (validity) return badCertificate(`${registrationId}: ${validity}`);
    // Registration ids are case-insensitive at DPS: a CN `Sensor-01` belongs to the registration `sensor-01`.
    if (cert.commonName.toLowerCase() !== id) {
      return {
        ok: false,
        kind: 'inconsistent',
        reason: `certificate CN "${cert.commonName}" is not the registration id "${registrationId}"`,
      };
    }
    if (individual?.thumbprint) {
      if (cert.thumbprint !== individual.thumbprint) {
        return badCertificate(
          `certificate thumbprint ${cert.thumbprint} is not the one enrolled for ${registrationId}`,
        );
      }
      return this.enabled(individual, { type: 'x509-thumbprint', thumbprint: cert.thumbprint }, registrationId);
    }
    if (cert.chainTrusted && cert.chainThumbprints.slice(1).includes(this.groupCaThumbprint)) {
      return this.enabled(
        this.member(registrationId, 'x509-group'),
        { type: 'x509-ca', caThumbprint: this.groupCaThumbprint },
        registrationId,
      );
    }
    return badCertificate(
      `certificate for ${registrationId} matches no individual enrollment and does not chain to the group CA`,
    );
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private member(registrationId: string, kind: LabDeviceKind): Enrollment {
    // Group enrollments admit any registration id that authenticates; createDevice only pre-sets the device id.
    return (
      this.groupMembers.get(registrationId.toLowerCase()) ?? {
        registrationId,
        deviceId: registrationId,
        kind,
        status: 'enabled',
      }
    );
  }

  private enabled(enrollment: Enrollment, identity: HubIdentity, registrationId: string): AuthResult {
    // The id as this device spelled it (it may differ in case from the enrollment's): the register body and the
    // operation are checked against it, and DPS answers with it.
    const spelled = this.withGroup({ ...enrollment, registrationId });
    if (spelled.status !== 'enabled') {
      return { ok: false, kind: 'disabled', reason: `enrollment ${registrationId} is disabled`, enrollment: spelled };
    }
    return { ok: true, enrollment: spelled, identity };
  }

  /** A group member under its group's settings: the group's status and allocation failure apply unless its own do. */
  private withGroup(enrollment: Enrollment): Enrollment {
    if (enrollment.kind !== 'x509-group' && enrollment.kind !== 'symmetric-key-group') return enrollment;
    const group = this.groups[enrollment.kind];
    const failure = enrollment.allocationFailure ?? group.allocationFailure;
    return {
      ...enrollment,
      status: group.status === 'disabled' ? 'disabled' : enrollment.status,
      ...(failure ? { allocationFailure: failure } : {}),
    };
  }
}

/** DPS and IoT Hub refuse client certificates outside their validity period; so does the lab. */
export function certificateValidityProblem(
  cert: { validFrom: string; validTo: string },
  now = Date.now(),
): string | undefined {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (Number.isFinite(to) && now > to) return `client certificate expired at ${new Date(to).toISOString()}`;
  if (Number.isFinite(from) && now < from) return `client certificate not valid before ${new Date(from).toISOString()}`;
  return undefined;
}
