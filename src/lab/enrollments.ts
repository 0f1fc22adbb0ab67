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
}

/** How a device authenticates to the hub once DPS has assigned it (mirrors what DPS creates in the hub registry). */
export type HubIdentity =
  | { type: 'x509-thumbprint'; thumbprint: string }
  | { type: 'x509-ca'; caThumbprint: string }
  | { type: 'sas'; key: string };

/** Why authentication failed, for the lab's log line. */
export type AuthResult = { ok: true; enrollment: Enrollment; identity: HubIdentity } | { ok: false; reason: string };

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
    if (!cert) return { ok: false, reason: `${registrationId}: neither a client certificate nor a SAS token` };
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
      if (problem) return { ok: false, reason: `SAS for individual enrollment ${registrationId}: ${problem}` };
      return this.enabled(individual, { type: 'sas', key: individual.symmetricKey }, registrationId);
    }
    const key = deriveDeviceKey(this.groupKey, registrationId);
    const problem = verifySas(password, { resource, key, keyName: 'registration', nowSeconds: this.nowSeconds() });
    if (problem)
      return { ok: false, reason: `SAS for ${registrationId} (no individual enrollment; group key): ${problem}` };
    return this.enabled(this.member(registrationId, 'symmetric-key-group'), { type: 'sas', key }, registrationId);
  }

  /** A valid certificate with CN = registration id: the enrolled thumbprint, else a chain to the group CA. */
  private authenticateCertificate(registrationId: string, cert: NonNullable<PeerInfo['certificate']>): AuthResult {
    const id = registrationId.toLowerCase();
    const individual = this.individual.get(id);
    const validity = certificateValidityProblem(cert, this.now());
    if (validity) return { ok: false, reason: `${registrationId}: ${validity}` };
    // Registration ids are case-insensitive at DPS: a CN `Sensor-01` belongs to the registration `sensor-01`.
    if (cert.commonName.toLowerCase() !== id) {
      return {
        ok: false,
        reason: `certificate CN "${cert.commonName}" is not the registration id "${registrationId}"`,
      };
    }
    if (individual?.thumbprint) {
      if (cert.thumbprint !== individual.thumbprint) {
        return {
          ok: false,
          reason: `certificate thumbprint ${cert.thumbprint} is not the one enrolled for ${registrationId}`,
        };
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
    return {
      ok: false,
      reason: `certificate for ${registrationId} matches no individual enrollment and does not chain to the group CA`,
    };
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
    if (enrollment.status !== 'enabled')
      return { ok: false, reason: `enrollment ${enrollment.registrationId} is disabled` };
    // The id as this device spelled it (it may differ in case from the enrollment's): the register body and the
    // operation are checked against it, and DPS answers with it.
    return { ok: true, enrollment: { ...enrollment, registrationId }, identity };
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
