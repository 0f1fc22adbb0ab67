import crypto from 'node:crypto';

/** Why a SharedAccessSignature was refused; the lab logs it (never the token itself). */
export type SasProblem = 'malformed' | 'wrong-resource' | 'wrong-key-name' | 'expired' | 'bad-signature';

/** The parsed fields of `SharedAccessSignature sr=..&sig=..&se=..[&skn=..]`, still URL-encoded as sent. */
export interface ParsedSas {
  sr: string;
  sig: string;
  se: string;
  skn?: string;
}

/** Parse a SAS token; undefined when it is not one. */
export function parseSas(token: string): ParsedSas | undefined {
  const m = /^SharedAccessSignature (\S+)$/.exec(token.trim());
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const part of m[1].split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  if (!fields.sr || !fields.sig || !fields.se) return undefined;
  return { sr: fields.sr, sig: fields.sig, se: fields.se, skn: fields.skn };
}

/** DPS's group-derived device key: base64(HMAC-SHA256(base64-decoded group key, registrationId)). */
export function deriveDeviceKey(groupKey: string, registrationId: string): string {
  return crypto.createHmac('sha256', Buffer.from(groupKey, 'base64')).update(registrationId).digest('base64');
}

/** A SAS token the way the Azure SDK builds one (for tests and for the lab's own clients). */
export function signSas(resource: string, key: string, expirySeconds: number, keyName?: string): string {
  const sig = crypto
    .createHmac('sha256', Buffer.from(key, 'base64'))
    .update(`${resource}\n${expirySeconds}`)
    .digest('base64');
  const skn = keyName ? `&skn=${keyName}` : '';
  return `SharedAccessSignature sr=${resource}&sig=${encodeURIComponent(sig)}&se=${expirySeconds}${skn}`;
}

/**
 * Verify a SAS token against the expected resource and key, as DPS and IoT Hub do. `sr` may be URL-encoded or not
 * (the Node SDK sends DPS resources raw and hub resources encoded); the signature is checked over `sr` exactly as
 * sent, which is what the client signed. Comparison of the resource is case-insensitive, like the services.
 */
export function verifySas(
  token: string,
  expected: { resource: string; key: string; keyName?: string; nowSeconds?: number },
): SasProblem | undefined {
  const sas = parseSas(token);
  if (!sas) return 'malformed';
  let resource: string;
  try {
    resource = decodeURIComponent(sas.sr);
  } catch {
    return 'malformed';
  }
  if (resource.toLowerCase() !== expected.resource.toLowerCase()) return 'wrong-resource';
  if (expected.keyName !== undefined && sas.skn !== expected.keyName) return 'wrong-key-name';
  const se = Number(sas.se);
  if (!Number.isInteger(se)) return 'malformed';
  if (se <= (expected.nowSeconds ?? Math.floor(Date.now() / 1000))) return 'expired';
  let sig: Buffer;
  try {
    sig = Buffer.from(decodeURIComponent(sas.sig), 'base64');
  } catch {
    return 'malformed';
  }
  const want = crypto.createHmac('sha256', Buffer.from(expected.key, 'base64')).update(`${sas.sr}\n${sas.se}`).digest();
  if (sig.length !== want.length || !crypto.timingSafeEqual(sig, want)) return 'bad-signature';
  return undefined;
}
