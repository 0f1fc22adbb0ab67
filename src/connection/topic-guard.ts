/**
 * Topics an authenticated but hostile (or broken) DPS or hub can send that crash the Azure SDK inside its MQTT
 * message handler, where nothing of ours could catch the exception: a `$rid` naming an Object.prototype member
 * (`__proto__`, `constructor`, `toString`: the SDK looks its pending requests up in a plain object and calls what it
 * finds), and a topic that `decodeURIComponent` throws URIError on (the device SDK decodes C2D property bags with it).
 * Checked before the SDK sees the message; such a message is never delivered.
 */

/** Names a plain-object lookup finds on every object: never a request id. */
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Why `topic` must not reach the SDK, or undefined when it is safe. */
export function unsafeTopic(topic: string): string | undefined {
  const q = topic.indexOf('?');
  const path = q === -1 ? topic : topic.slice(0, q);
  const query = q === -1 ? '' : topic.slice(q + 1);
  for (const segment of path.split('/')) {
    if (!decodes(segment)) return 'a topic segment is not URI-decodable';
  }
  const rids: string[] = [];
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    if (!decodes(rawKey) || !decodes(rawValue)) return 'a topic property is not URI-decodable';
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    if (key === '$rid') rids.push(value);
  }
  if (rids.length > 1) return 'more than one $rid';
  if (rids.length === 1 && PROTOTYPE_NAMES.has(rids[0] as string)) return `$rid ${JSON.stringify(rids[0])}`;
  return undefined;
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** How deep a DPS reply may nest: real ones nest 3 levels; the SDK's handling recurses, and overflows the stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when the JSON text nests arrays/objects deeper than `max` (strings skipped): checked before anything parses it
 * recursively — "Maximum call stack size exceeded" would otherwise come out of the SDK as a lost connection.
 */
export function nestsDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
