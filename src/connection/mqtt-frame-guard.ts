/**
 * Checks the MQTT 3.1.1 fixed headers a broker sends before mqtt.js parses them. mqtt.js 4 survives a parse error
 * badly: the error reaches the Azure SDK as an 'error' event whose handling can call an absent callback, and packets
 * parsed from the same bytes are still handled after the client's stores were closed — both thrown where nothing of
 * ours can catch them. Bytes that cannot be a broker's packet (an HTTP error page, a client-only packet type, reserved
 * flag bits set) therefore never reach mqtt.js: the connection is closed instead, which it and the SDK handle cleanly.
 */

/** The fixed-header flags a broker's packet of each type must carry ([MQTT-2.2.2-1]); PUBLISH (3) has its own rule. */
const REQUIRED_FLAGS: Record<number, number> = { 2: 0, 4: 0, 5: 0, 6: 2, 7: 0, 9: 0, 11: 0, 13: 0 };
/** The remaining length of fixed-size packets (CONNACK, PUBACK…PUBCOMP, UNSUBACK, PINGRESP). */
const FIXED_LENGTH: Record<number, number> = { 2: 2, 4: 2, 5: 2, 6: 2, 7: 2, 11: 2, 13: 0 };
const PUBLISH = 3;
const SUBACK = 9;

/** Why `header` cannot start a broker's packet, or undefined when it may. */
function badHeader(header: number): string | undefined {
  const type = header >> 4;
  const flags = header & 0x0f;
  if (type === PUBLISH) return (flags & 0x06) === 0x06 ? 'a PUBLISH with QoS 3' : undefined;
  const required = REQUIRED_FLAGS[type];
  if (required === undefined) return `packet type ${type}, which a broker never sends`;
  return flags === required ? undefined : `packet type ${type} with reserved flag bits 0x${flags.toString(16)}`;
}

/** Why a packet of `type` cannot be `length` bytes long, or undefined when it may. */
function badLength(type: number, length: number): string | undefined {
  const fixed = FIXED_LENGTH[type];
  if (fixed !== undefined && length !== fixed) return `packet type ${type} of ${length} bytes (${fixed} expected)`;
  if (type === SUBACK && length < 3) return `a SUBACK of ${length} bytes`;
  return undefined;
}

/** A violation: why, and the first bytes of the packet that broke the framing (for the finding's excerpt). */
export interface FrameViolation {
  reason: string;
  excerpt: string;
  /** Where, in the chunk checked, the offending packet starts: the bytes before it are whole or partial packets. */
  at: number;
}

/**
 * A stateful checker fed the broker's bytes in arrival order. `check(chunk)` returns undefined while every fixed
 * header so far is one a broker may send, or the first violation (after which the connection must be closed).
 */
export function createFrameGuard(): { check(chunk: Buffer): FrameViolation | undefined } {
  // Bytes of the current packet's body still to skip; 0 before a fixed header, -1 inside its remaining length.
  let skip = 0;
  let header = 0;
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let start: Buffer | undefined;
  let startAt = 0;
  return {
    check(chunk) {
      startAt = 0;
      let i = 0;
      while (i < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - i);
          skip -= n;
          i += n;
          continue;
        }
        if (skip === 0) {
          header = chunk[i] as number;
          start = chunk.subarray(i, i + 40);
          startAt = i;
          const bad = badHeader(header);
          if (bad) return violation(bad, start, i);
          skip = -1;
          length = 0;
          multiplier = 1;
          lengthBytes = 0;
          i++;
          continue;
        }
        const byte = chunk[i++] as number;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if (++lengthBytes > 4) return violation('a remaining length of more than 4 bytes', start, startAt);
        if (byte & 0x80) continue;
        const bad = badLength(header >> 4, length);
        if (bad) return violation(bad, start, startAt);
        skip = length;
      }
      return undefined;
    },
  };
}

/** `at` is clamped to the chunk: a header begun in an earlier chunk starts before this one. */
function violation(reason: string, start: Buffer | undefined, at: number): FrameViolation {
  return { reason, excerpt: (start ?? Buffer.alloc(0)).toString('latin1'), at: Math.max(0, at) };
}
