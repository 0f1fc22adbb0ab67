/**
 * The lab hub's device twins: reported properties as IoT Hub keeps them (JSON merge patch, `null` deletes, a
 * `$version` that grows with each accepted patch) and the limits it enforces, so a device meets the same refusals.
 */

/**
 * IoT Hub's documented twin limits: reported properties at most 32 KB (keys and values counted as the service does),
 * keys at most 1 KB, string values at most 4 KB, depth at most 10.
 */
export const TWIN_LIMITS = { reportedBytes: 32 * 1024, keyBytes: 1024, valueBytes: 4096, depth: 10 } as const;

/** Why a patch was refused: the status and the error body the hub answers on `$iothub/twin/res/<status>/`. */
export interface TwinRefusal {
  status: number;
  body: { errorCode: number; message: string };
}

/** A device's reported properties, as the lab hub holds them, and their version. */
interface TwinState {
  reported: Record<string, unknown>;
  version: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every device's twin in the lab hub; a twin exists once DPS assigned the device, empty until it reports. */
export class TwinStore {
  private readonly twins = new Map<string, TwinState>();
  /** A refusal every PATCH gets while set, `times` more times (undefined = until cleared). */
  private patchFault: { status: number; times?: number } | undefined;

  /** The twin as the device's GET sees it: desired (the lab sets none) and reported, each with `$version`. */
  get(deviceId: string): { desired: Json; reported: Json } {
    const twin = this.state(deviceId);
    return { desired: { $version: 1 }, reported: { ...structuredClone(twin.reported), $version: twin.version } };
  }

  /** Applies a reported-properties patch like IoT Hub: the new `$version`, or the refusal. */
  patchReported(deviceId: string, patch: unknown): { version: number } | TwinRefusal {
    const fault = this.takeFault();
    if (fault) return fault;
    if (!isObject(patch)) return badRequest('The reported properties patch must be a JSON object.');
    const problem = checkProperties(patch, 1);
    if (problem) return badRequest(problem);
    const twin = this.state(deviceId);
    const next = mergePatch(structuredClone(twin.reported), patch);
    const size = twinSize(next);
    if (size > TWIN_LIMITS.reportedBytes) {
      return badRequest(
        `'Properties.Reported' size should be less than ${TWIN_LIMITS.reportedBytes} bytes (is ${size}).`,
      );
    }
    twin.reported = next;
    twin.version += 1;
    return { version: twin.version };
  }

  /** A copy of a device's reported properties (without `$version`), or undefined when it has no twin. */
  reported(deviceId: string): Json | undefined {
    const twin = this.twins.get(deviceId);
    return twin ? structuredClone(twin.reported) : undefined;
  }

  /** Every twin, for queries: device id and a copy of its reported properties. */
  all(): { deviceId: string; reported: Json }[] {
    return [...this.twins].map(([deviceId, t]) => ({ deviceId, reported: structuredClone(t.reported) }));
  }

  /** Creates the empty twin of a device the hub now knows (IoT Hub creates a twin with each identity). */
  ensure(deviceId: string): void {
    this.state(deviceId);
  }

  /** Refuse reported-property patches with `status` (`times` times, default until cleared); undefined clears. */
  setPatchFault(fault: { status: number; times?: number } | undefined): void {
    this.patchFault = fault ? { ...fault } : undefined;
  }

  private takeFault(): TwinRefusal | undefined {
    const fault = this.patchFault;
    if (!fault) return undefined;
    if (fault.times !== undefined && --fault.times <= 0) this.patchFault = undefined;
    return {
      status: fault.status,
      body: {
        errorCode: fault.status * 1000,
        message: `lab fault: reported properties patch refused (${fault.status})`,
      },
    };
  }

  private state(deviceId: string): TwinState {
    let twin = this.twins.get(deviceId);
    if (!twin) {
      twin = { reported: {}, version: 1 };
      this.twins.set(deviceId, twin);
    }
    return twin;
  }
}

function badRequest(message: string): TwinRefusal {
  return { status: 400, body: { errorCode: 400000, message } };
}

/** What the hub refuses in a patch's keys and values (name, depth, value size), or undefined. */
function checkProperties(obj: Json, depth: number): string | undefined {
  if (depth > TWIN_LIMITS.depth) return `The reported properties are nested deeper than ${TWIN_LIMITS.depth} levels.`;
  for (const [key, value] of Object.entries(obj)) {
    const keyProblem = checkKey(key);
    if (keyProblem) return keyProblem;
    if (typeof value === 'string' && Buffer.byteLength(value) > TWIN_LIMITS.valueBytes) {
      return `The value of '${key}' is longer than ${TWIN_LIMITS.valueBytes} bytes.`;
    }
    if (isObject(value)) {
      const inner = checkProperties(value, depth + 1);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** IoT Hub's rule for property names: no '.', '$', space or control character (C0, C1), at most 1 KB. */
export function checkKey(key: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (key.length === 0 || /[.$ \u0000-\u001f\u007f-\u009f]/.test(key)) {
    return `'${key.replace(/[^\x20-\x7e]/g, '?')}' is not a valid property name (no '.', '$', space or control character).`;
  }
  if (Buffer.byteLength(key) > TWIN_LIMITS.keyBytes)
    return `A property name is longer than ${TWIN_LIMITS.keyBytes} bytes.`;
  return undefined;
}

/** JSON merge patch as twins apply it: objects merge, `null` removes, anything else replaces. */
function mergePatch(target: Json, patch: Json): Json {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (isObject(value)) target[key] = mergePatch(isObject(target[key]) ? target[key] : {}, value);
    else target[key] = structuredClone(value);
  }
  return target;
}

/**
 * The size IoT Hub charges a document: each key's UTF-8 length plus its value's — strings by UTF-8 length without
 * control characters, numbers 8, booleans 4, objects and arrays the sum of what they hold.
 */
export function twinSize(value: unknown): number {
  // eslint-disable-next-line no-control-regex
  if (typeof value === 'string') return Buffer.byteLength(value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ''));
  if (typeof value === 'number') return 8;
  if (typeof value === 'boolean') return 4;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + twinSize(v), 0);
  if (isObject(value)) return Object.entries(value).reduce((n, [k, v]) => n + Buffer.byteLength(k) + twinSize(v), 0);
  return 0;
}
