// The trust store a diagnostic TLS probe uses: Node's bundled roots (as the device's own store would hold them) plus
// an extra anchor (--ca). Built once per anchor and shared by every probe of a run.
import tls from 'node:tls';

const contexts = new Map<string, tls.SecureContext>();
const MAX_CONTEXTS = 16;

interface NativeContext {
  addCACert?: (pem: string) => void;
}

/**
 * A secure context that trusts Node's roots and `ca`, with TLS 1.2 as the floor and 1.3 as the ceiling (explicit, so
 * tls.DEFAULT_MAX_VERSION / --tls-max-v1.1 cannot leave it with no version).
 *
 * Why not `createSecureContext({ ca: [...tls.rootCertificates, ca] })`: that re-parses ~140 PEM roots one call at a
 * time (~20 ms, the largest single cost of a dps-check run). Adding the anchor to a default context instead makes Node
 * copy its already-parsed root store natively (~1 ms) — the technique syswide-cas uses. If a Node release drops the
 * native method, the documented (slow) form is used.
 */
export function trustStoreWith(ca: string): tls.SecureContext {
  let ctx = contexts.get(ca);
  if (ctx) return ctx;
  const fast = tls.createSecureContext({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  const native = (fast as unknown as { context?: NativeContext }).context;
  if (typeof native?.addCACert === 'function') {
    native.addCACert(ca);
    ctx = fast;
  } else {
    ctx = tls.createSecureContext({ ca: [...tls.rootCertificates, ca], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  }
  // A CLI run uses one or two anchors; a long-lived caller probing with ever new ones must not grow this forever.
  if (contexts.size >= MAX_CONTEXTS) contexts.clear();
  contexts.set(ca, ctx);
  return ctx;
}
