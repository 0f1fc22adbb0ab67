import tls from 'node:tls';

/**
 * Runs `build` and counts the anchors added to the native contexts it creates (addCACert): each context that gets one
 * copies Node's whole root store.
 */
export function countAnchorsAdded<T>(build: () => T): { value: T; added: number } {
  const real = tls.createSecureContext;
  let added = 0;
  (tls as { createSecureContext: unknown }).createSecureContext = (options?: tls.SecureContextOptions) => {
    const ctx = real(options);
    const native = (ctx as unknown as { context: { addCACert: (pem: unknown) => void } }).context;
    const add = native.addCACert.bind(native);
    native.addCACert = (pem) => {
      added++;
      add(pem);
    };
    return ctx;
  };
  try {
    return { value: build(), added };
  } finally {
    (tls as { createSecureContext: unknown }).createSecureContext = real;
  }
}
