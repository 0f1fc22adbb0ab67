// Deliver list, property-based fuzzing (fast-check), seeded and reproducible: the pure validators at the doors —
// host names, CIDR lists, DNS server strings, provisionDevice's options (with __proto__ / constructor keys), config
// files and dps-check's argv. In every case: no crash, and every rejection is our typed error.
// Reproduce a failure with FUZZ_SEED=<seed printed> (and FUZZ_RUNS to change the count).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parseCliArgs } from '../../src/checks/args';
import { loadConfig, readConfigFile } from '../../src/config/load';
import { CONFIG_KEYS } from '../../src/config/types';
import { parseCidrs, parseDnsServer } from '../../src/endpoint/address';
import { normaliseHost } from '../../src/endpoint/options';
import { DpsPrivateLinkError, InvalidOptionError } from '../../src/errors';
import { resolveProvisionOptions } from '../../src/provision/options';
import type { ProvisionOptions } from '../../src/provision/types';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);
const SEEDS = {
  hosts: 1401,
  cidrs: 1402,
  dnsServers: 1403,
  provisionOptions: 1404,
  configFiles: 1405,
  argv: 1406,
} as const;

/** Runs `property` RUNS times with its fixed seed (or FUZZ_SEED), printing the count and seed for the report. */
function fuzz<T>(name: keyof typeof SEEDS, arb: fc.Arbitrary<T>, check: (value: T) => void): void {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : SEEDS[name];
  let cases = 0;
  fc.assert(
    fc.property(arb, (v) => {
      cases++;
      check(v);
    }),
    { seed, numRuns: RUNS, endOnFailure: true },
  );
  console.log(`      fuzz ${name}: ${cases} cases, seed ${seed}`);
}

/** A device key (key-shaped, as DPS makes them) the generators paste into every kind of field. */
const KEY = Buffer.alloc(32, 0xab).toString('base64');

/**
 * Calls `f`; a throw must be our typed error (InvalidOptionError unless `anyOurs`) whose message never echoes
 * {@link KEY}. Returns the value, or undefined when it threw.
 */
function typed<T>(f: () => T, anyOurs = false): T | undefined {
  try {
    return f();
  } catch (err) {
    const ok = anyOurs ? err instanceof DpsPrivateLinkError : err instanceof InvalidOptionError;
    if (!ok) throw new Error(`untyped rejection: ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err });
    if ((err as Error).message.includes(KEY)) throw new Error(`the key is echoed: ${(err as Error).message}`);
    return undefined;
  }
}

// Building blocks that look like the real thing, so the fuzzer reaches deep into each parser, not only its first check.
const hexWord = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const octet = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.constantFrom('256', '01', '-1', '', 'x', '1e2'),
);
const ipv4 = fc.array(octet, { minLength: 1, maxLength: 5 }).map((p) => p.join('.'));
const ipv6 = fc.oneof(
  fc.array(hexWord, { minLength: 1, maxLength: 9 }).map((p) => p.join(':')),
  fc.tuple(fc.array(hexWord, { maxLength: 4 }), fc.array(hexWord, { maxLength: 4 })).map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
  ipv4.map((v4) => `::ffff:${v4}`),
  fc.constantFrom('::', '::1', 'fe80::1%eth0', 'fd00::/8', '[::1]', '::ffff:10.0.0.1'),
); // prettier-ignore
const ip = fc.oneof(ipv4, ipv6);
const noise = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '\u0000', ' ', '%', '\n', KEY, ` ${KEY} `),
);
const port = fc.oneof(
  fc.integer({ min: -1, max: 70_000 }).map(String),
  fc.constantFrom('', '0', '53', '65535', '65536', 'x', '5e1', KEY),
);

const label = fc.stringMatching(/^[A-Za-z0-9_-]{0,64}$/);
const hostName = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 8 }).map((l) => l.join('.')),
  fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => `${l.join('.')}.azure-devices-provisioning.net.`),
  fc.tuple(fc.constantFrom('https://', 'mqtts://', 'x:', ''), label, fc.constantFrom('', ':8883', '/path', '?q', ' ')).map((p) => p.join('')),
  ip,
  ip.map((a) => `[${a}]`),
  fc.stringMatching(/^[a-z0-9.-]{250,260}$/),
  noise,
); // prettier-ignore

describe('hardening (input): fuzzing the validators at the doors (fast-check, seeded)', function () {
  this.timeout(120_000);

  it(`host names (normaliseHost, verifyEndpoint's normaliser): ${RUNS} cases`, () => {
    fuzz('hosts', fc.oneof({ weight: 9, arbitrary: hostName }, { weight: 1, arbitrary: fc.anything() }), (h) => {
      const out = typed(() => normaliseHost(h as string, 'host'));
      if (out === undefined) return;
      assert.equal(typeof out, 'string');
      assert.equal(out, out.toLowerCase());
      assert.ok(!out.endsWith('.'));
      assert.equal(normaliseHost(out, 'host'), out, 'normalising is idempotent');
    });
  });

  it(`CIDR lists (parseCidrs): ${RUNS} cases`, () => {
    const cidr = fc.oneof(
      fc.tuple(ip, fc.constantFrom('/', '/ ', ''), fc.oneof(fc.integer({ min: -1, max: 130 }).map(String), noise)).map((p) => p.join('')),
      ip,
      noise,
    ); // prettier-ignore
    const entry = fc.oneof({ weight: 9, arbitrary: cidr }, { weight: 1, arbitrary: fc.anything() });
    const list = fc.oneof(
      { weight: 9, arbitrary: fc.array(entry, { maxLength: 6 }) },
      { weight: 1, arbitrary: fc.anything() },
    );
    fuzz('cidrs', list, (l) => {
      const out = typed(() => parseCidrs(l as string[], 'expectedCidrs'));
      if (out === undefined) return;
      assert.equal(out.length, (l as unknown[]).length);
      for (const c of out) {
        const [addr, bits] = c.text.split('/');
        assert.ok(net.isIP(addr ?? ''), c.text);
        assert.ok(Number(bits) >= 0 && Number(bits) <= 128);
        assert.equal(parseCidrs([c.text], 'again')[0]?.text, c.text, 'the normalised form parses to itself');
      }
    });
  });

  it(`DNS server strings (parseDnsServer): ${RUNS} cases`, () => {
    const server = fc.oneof(
      ip,
      fc.tuple(ipv4, port).map(([a, p]) => `${a}:${p}`),
      fc.tuple(ipv6, port).map(([a, p]) => `[${a}]:${p}`),
      ipv6.map((a) => `[${a}]`),
      fc.tuple(hostName, port).map(([h, p]) => `${h}:${p}`),
      noise,
      fc.anything(),
    );
    fuzz('dnsServers', server, (s) => {
      const out = typed(() => parseDnsServer(s as string, 'dnsServers[0]'));
      if (out === undefined) return;
      assert.equal(net.isIP(out.address), out.family);
      assert.ok(Number.isInteger(out.port) && out.port >= 1 && out.port <= 65535);
    });
  });

  it(`provisionDevice's options (resolveProvisionOptions, no network), with __proto__/constructor keys: ${RUNS} cases`, () => {
    const key = Buffer.alloc(32, 9).toString('base64');
    const good: ProvisionOptions = {
      provisioningHost: 'my-dps.azure-devices-provisioning.net',
      idScope: '0ne00000A1B',
      registrationId: 'dev-1',
      auth: { symmetricKey: key },
      network: { expectedCidrs: ['10.1.0.0/16'] },
    };
    const evil = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty');
    const optionKey = fc.constantFrom(
      'provisioningHost', 'idScope', 'registrationId', 'auth', 'network', 'transport', 'tls', 'timeoutMs', 'signal',
      'cache', 'payload', 'retry', 'proxy', 'port', 'wsPort', 'connector', 'forceReprovision', 'onProgress',
    ); // prettier-ignore
    const nestedKey = fc.constantFrom(
      'expectedCidrs', 'dnsServers', 'policy', 'dnsTimeoutMs', 'symmetricKey', 'cert', 'key', 'passphrase', 'ca',
      'minVersion', 'path', 'maxAttempts', 'baseDelayMs', 'jitter',
    ); // prettier-ignore
    const value = fc.oneof(
      fc.anything({ maxDepth: 2 }),
      fc.constantFrom('enforce', 'warn', 'off', 'mqtt', 'mqtt-ws', 'TLSv1.2', 'TLSv1.0', key, '10.1.0.4', [
        '10.1.0.0/16',
      ]),
      fc.dictionary(fc.oneof(nestedKey, evil), fc.anything({ maxDepth: 1 }), { maxKeys: 4 }),
    );
    // As JSON.parse makes them: "__proto__" as an own key, as a stored or received options object would have it.
    const patch = fc.dictionary(fc.oneof(optionKey, evil, fc.string()), value, { maxKeys: 5 });
    // A network object that inherits options (a class instance, a polluted prototype): only own ones count.
    const inherited = fc
      .record(
        { policy: fc.constantFrom('off', 'warn'), dnsServers: fc.constant(['203.0.113.53']) },
        { requiredKeys: [] },
      )
      .map((proto) => Object.assign(Object.create(proto) as object, { expectedCidrs: ['10.1.0.0/16'] }));
    const options = fc.oneof(
      { weight: 8, arbitrary: patch.map((p) => JSON.parse(JSON.stringify({ ...good, ...p })) as unknown) },
      {
        weight: 2,
        arbitrary: fc.tuple(patch, inherited).map(([p, network]) => ({ ...good, ...p, network }) as unknown),
      },
      { weight: 1, arbitrary: patch.map((p) => Object.assign(Object.create(null) as object, good, p) as unknown) },
      { weight: 1, arbitrary: fc.anything() },
    );
    fuzz('provisionOptions', options, (o) => {
      const r = typed(() => resolveProvisionOptions(o as ProvisionOptions), true);
      const network = (o as { network?: object } | null)?.network;
      if (r && network && typeof network === 'object') {
        const own = (k: string): boolean => Object.prototype.hasOwnProperty.call(network, k);
        if (!own('policy')) assert.equal(r.network.policy, 'enforce', 'an inherited policy is not an option');
        if (!own('dnsServers')) assert.deepEqual(r.network.dnsServers, [], 'inherited DNS servers are not an option');
      }
      assert.equal(Object.getPrototypeOf({}), Object.prototype);
      assert.deepEqual(Object.keys(Object.prototype), [], 'Object.prototype is never polluted');
    });
  });

  it(`config files (readConfigFile and loadConfig on generated JSON text): ${RUNS} cases`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-fuzz-config-'));
    const file = path.join(dir, 'device.json');
    const fieldValue = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      ip,
      fc.array(fc.oneof(ip, noise), { maxLength: 3 }),
      fc.constantFrom('mqtt', 'mqtt-ws', 'enforce', 'warn', 'off', 8883, '443', 0, 70000, 'certs/device.pem'),
    );
    const config = fc.dictionary(
      fc.oneof(fc.constantFrom(...CONFIG_KEYS, '$schema', 'comment', '__proto__', 'constructor'), fc.string()),
      fieldValue,
      { maxKeys: 6 },
    );
    const truncated = config.map((c) => JSON.stringify(c)).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n)));
    // Deeply nested values in a known field: no stack overflow (RangeError) from describing them.
    const nest = (n: number, obj: boolean): string =>
      obj ? `${'{"a":'.repeat(n)}1${'}'.repeat(n)}` : `${'['.repeat(n)}${']'.repeat(n)}`;
    const deep = fc
      .tuple(fc.constantFrom(...CONFIG_KEYS), fc.integer({ min: 7_000, max: 10_000 }), fc.boolean())
      .map(([k, n, obj]) => `{"${k}": ${nest(n, obj)}}`);
    const text = fc.oneof(
      { weight: 12, arbitrary: config.map((c) => JSON.stringify(c)) },
      { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
      { weight: 1, arbitrary: truncated },
      { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
      { weight: 1, arbitrary: deep },
    );
    fuzz('configFiles', text, (t) => {
      writeFileSync(file, t);
      const values = typed(() => readConfigFile(file));
      const loaded = typed(() => loadConfig({ configFile: file }));
      assert.equal(values === undefined, loaded === undefined, 'loadConfig accepts exactly what readConfigFile does');
      if (loaded) assert.ok(['mqtt', 'mqtt-ws'].includes(loaded.config.transport));
    });
  });

  it(`dps-check argv (parseCliArgs, then loadConfig on its flags): ${RUNS} cases`, () => {
    const flag = fc.constantFrom(
      '--host', '--id-scope', '--registration-id', '--cert', '--key', '--ca', '--expect-cidr', '--dns-server',
      '--transport', '--policy', '--port', '--ws-port', '--hub-port', '--hub-ws-port', '--passphrase-env',
      '--ntp-server', '--timeout-ms', '--register', '--json', '--report', '--verbose', '-v', '--warnings-as-errors',
      '--dont-run', '--list', '--no-color', '--compare-system', '--help', '-h', '--', '-', '--nope', '--host=',
      '--__proto__', '--constructor', '-x',
    ); // prettier-ignore
    const arg = fc.oneof(
      flag,
      ip,
      hostName,
      port,
      noise,
      fc.constantFrom('mqtt', 'warn', 'enforce', '10.0.0.0/8', KEY),
    );
    fuzz('argv', fc.array(arg, { maxLength: 10 }), (argv) => {
      const args = typed(() => parseCliArgs(argv));
      if (!args) return;
      // Only the flags: no --config file is read, and no certificate (prepare would read files named by the fuzzer).
      typed(() => loadConfig({ flags: args.flags, env: {} }));
    });
  });
});
