import crypto from 'node:crypto';
import { InvalidOptionError } from '../errors';
import { issueCertificate, issueEcCertificate, rsaKey, type LabPki } from './certs';
import type { Enrollments } from './enrollments';
import { deriveDeviceKey } from './sas';
import type { LabDevice, LabDeviceKind, LabDeviceOptions } from './types';

const DEVICE_KINDS: readonly LabDeviceKind[] = [
  'x509-individual',
  'x509-group',
  'symmetric-key',
  'symmetric-key-group',
];
/**
 * DPS registration ids as Azure documents them: 1-128 alphanumerics and `-._:`, the last one alphanumeric or `-`.
 * Case-insensitive: the enrollments look ids up, and match certificate CNs, without regard to case.
 */
const REGISTRATION_ID = /^[A-Za-z0-9-._:]{0,127}[A-Za-z0-9-]$/;
/** IoT Hub device ids: up to 128 of these characters. */
const DEVICE_ID = /^[A-Za-z0-9-.+%_#*?!(),:=@$']{1,128}$/;

/** A device request checked at the door: what {@link enrollDevice} trusts. */
interface DeviceRequest {
  registrationId: string;
  deviceId: string;
  kind: LabDeviceKind;
  keyType: 'rsa' | 'ec';
  status: 'enabled' | 'disabled';
  options: LabDeviceOptions;
}

/**
 * Enroll a device in the lab DPS and return its credentials ({@link LabHandle.createDevice}).
 * @throws InvalidOptionError naming the field for a bad registration id, kind, device id or key type.
 */
export function createLabDevice(
  lab: { enrollments: Enrollments; pki: LabPki },
  registrationId: string,
  kind: LabDeviceKind,
  options: LabDeviceOptions = {},
): LabDevice {
  return enrollDevice(lab, checkDeviceRequest(registrationId, kind, options));
}

function checkDeviceRequest(registrationId: string, kind: LabDeviceKind, options: LabDeviceOptions): DeviceRequest {
  if (typeof registrationId !== 'string' || !REGISTRATION_ID.test(registrationId)) {
    throw new InvalidOptionError(
      'registrationId',
      `${JSON.stringify(registrationId)} is not a valid DPS registration id`,
      'Use 1-128 letters, digits and - . _ :, ending in a letter, digit or -.',
    );
  }
  if (!DEVICE_KINDS.includes(kind)) {
    throw new InvalidOptionError(
      'kind',
      `${JSON.stringify(kind)} is not a lab device kind`,
      `Use one of ${DEVICE_KINDS.join(', ')}.`,
    );
  }
  if (options.deviceId !== undefined && (kind === 'x509-group' || kind === 'symmetric-key-group')) {
    throw new InvalidOptionError(
      'deviceId',
      `a ${kind} device cannot have its own device id`,
      'DPS group enrollments always assign deviceId = registrationId: omit deviceId or use an individual kind.',
    );
  }
  const deviceId = options.deviceId ?? registrationId;
  if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId)) {
    throw new InvalidOptionError(
      'deviceId',
      `${JSON.stringify(deviceId)} is not a valid IoT Hub device id`,
      "Use up to 128 letters, digits and - . + % _ # * ? ! ( ) , : = @ $ '",
    );
  }
  const keyType = options.keyType ?? 'rsa';
  if (keyType !== 'rsa' && keyType !== 'ec') {
    throw new InvalidOptionError(
      'keyType',
      `${JSON.stringify(keyType)} is not supported`,
      "Use 'rsa' (RSA 2048) or 'ec' (ECC P-256).",
    );
  }
  checkAllocationFailure(options.allocationFailure);
  return { registrationId, deviceId, kind, keyType, status: options.status ?? 'enabled', options };
}

/** An allocation failure: an integer errorCode and a message, as DPS puts them in registrationState. */
export function checkAllocationFailure(failure: unknown, field = 'allocationFailure'): void {
  if (failure === undefined || failure === null) return;
  const f = failure as { errorCode?: unknown; errorMessage?: unknown };
  if (typeof failure !== 'object' || !Number.isInteger(f.errorCode) || typeof f.errorMessage !== 'string') {
    throw new InvalidOptionError(
      field,
      `${JSON.stringify(failure)} is not { errorCode, errorMessage }`,
      "Pass e.g. { errorCode: 400207, errorMessage: 'Custom allocation failed.' }.",
    );
  }
}

function enrollDevice(lab: { enrollments: Enrollments; pki: LabPki }, request: DeviceRequest): LabDevice {
  const { registrationId, deviceId, kind, status } = request;
  const { allocationFailure, substatus } = request.options;
  const base = {
    registrationId,
    deviceId,
    kind,
    status,
    ...(allocationFailure ? { allocationFailure: { ...allocationFailure } } : {}),
    ...(substatus ? { substatus } : {}),
  } as const;
  if (kind === 'symmetric-key') {
    const symmetricKey = crypto.randomBytes(64).toString('base64');
    lab.enrollments.add({ ...base, symmetricKey });
    return { registrationId, deviceId, kind, auth: { symmetricKey } };
  }
  if (kind === 'symmetric-key-group') {
    // The group enrollment holds the key; each member proves itself with the key derived for its registration id.
    lab.enrollments.add(base);
    return {
      registrationId,
      deviceId,
      kind,
      auth: { symmetricKey: deriveDeviceKey(lab.enrollments.groupKey, registrationId) },
    };
  }
  // Individual enrollments are self-signed, as most are in the field: DPS matches them by thumbprint only.
  const spec = {
    commonName: registrationId,
    usage: 'client',
    issuer: kind === 'x509-group' ? lab.pki.groupCa : undefined,
    notBefore: request.options.notBefore,
    notAfter: request.options.notAfter,
  } as const;
  const cert = request.keyType === 'ec' ? issueEcCertificate(spec) : issueCertificate(spec, rsaKey());
  lab.enrollments.add({ ...base, thumbprint: kind === 'x509-individual' ? cert.thumbprint : undefined });
  return {
    registrationId,
    deviceId,
    kind,
    auth: { cert: cert.chainPem, key: cert.keyPem },
    certPem: cert.certPem,
    thumbprint: cert.thumbprint,
  };
}
