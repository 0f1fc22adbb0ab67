// Item 10 of the hardening issue: every public function either works or throws our typed error — never a TypeError or
// RangeError from deep inside — on deeply nested config JSON, malformed findings, and garbage.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  classifyAddress,
  createFinding,
  createHubClient,
  DpsPrivateLinkError,
  findingsToJson,
  InvalidOptionError,
  loadConfig,
  renderFindingsJson,
  renderFindingsText,
} from '../../src/index';
import { readConfigFile } from '../../src/config/load';
import { isInCidrs, ipFamily, parseCidrs } from '../../src/endpoint/address';

/** Our error: a DpsPrivateLinkError (the findings layer's too, since item 5 of the hardening issue). */
function isOurs(err: unknown): boolean {
  return err instanceof DpsPrivateLinkError;
}
const throwsOurs = (f: () => unknown, what: string): void =>
  assert.throws(f, (err: unknown) => {
    assert.ok(isOurs(err), `${what}: ${(err as Error)?.name}: ${(err as Error)?.message}`);
    return true;
  });

const garbage: unknown[] = [
  undefined,
  null,
  0,
  NaN,
  -1,
  '',
  'x',
  true,
  Symbol('s'),
  10n,
  [],
  [null],
  [{}],
  {},
  { code: 5 },
  { code: 'DNS_NXDOMAIN', severity: 'error', message: 'm', remediation: 'r', evidence: null },
  () => 1,
  Object.create(null),
  { toString: () => { throw new Error('boom'); } }, // prettier-ignore
];

describe('hardening (input): no TypeError or RangeError out of a public function', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-input-untyped-'));
  const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
  const deepObj = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  const docs: [string, string][] = [
    ['a 20,000-deep array in a list field', `{"dnsServers": ${deep(20_000)}}`],
    ['a 20,000-deep array as a list item', `{"expectedCidrs": [${deep(20_000)}]}`],
    ['a 20,000-deep array in a port field', `{"port": ${deep(20_000)}}`],
    ['a 20,000-deep object in a string field', `{"transport": ${deepObj(20_000)}}`],
    ['a 20,000-deep object in an unknown field', `{"nested": ${deepObj(20_000)}}`],
    ['a 200,000-deep array at the top', deep(200_000)],
  ];
  for (const [what, text] of docs) {
    it(`readConfigFile and loadConfig with ${what}: InvalidOptionError naming the file`, () => {
      const file = path.join(dir, `${what.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, text);
      for (const f of [() => readConfigFile(file), () => loadConfig({ configFile: file })]) {
        assert.throws(f, (err: unknown) => err instanceof InvalidOptionError && err.message.includes(file));
      }
    });
  }

  const result = {
    assignedHub: 'lab-hub.azure-devices.net',
    deviceId: 'dev-1',
    registrationId: 'dev-1',
    transport: 'mqtt',
    fromCache: false,
    hub: { host: 'lab-hub.azure-devices.net', expectedCidrs: ['127.10.0.0/16'], addresses: [], policy: 'enforce' },
  };
  const auth = { symmetricKey: Buffer.alloc(32, 7).toString('base64') };
  garbage.forEach((findings, i) => {
    if (Array.isArray(findings) && findings.length === 0) return;
    it(`createHubClient with result.findings = ${describeValue(findings)} (#${i}): InvalidOptionError, no socket`, () => {
      assert.throws(
        () => createHubClient({ ...result, findings } as never, auth),
        (err: unknown) => err instanceof InvalidOptionError && err.option === 'result.findings',
      );
    });
  });

  it('classifyAddress, ipFamily and isInCidrs on garbage: a result ("other", undefined, false)', () => {
    const cidrs = parseCidrs(['127.0.0.0/8'], 'test');
    for (const g of garbage) {
      assert.equal(classifyAddress(g as string), 'other');
      assert.equal(ipFamily(g as string), undefined);
      assert.equal(isInCidrs(g as string, cidrs), false);
    }
  });

  it('createFinding with an unknown code, garbage evidence or severity: our error; thin evidence: a finding', () => {
    for (const code of ['NOPE', '__proto__', 'toString', 'constructor', 42, undefined, null]) {
      throwsOurs(() => createFinding(code as never, {} as never), `code ${String(code)}`);
    }
    for (const evidence of [undefined, null, 'x', 42, []]) {
      throwsOurs(() => createFinding('DNS_NXDOMAIN', evidence as never), `evidence ${String(evidence)}`);
    }
    throwsOurs(
      () => createFinding('DNS_NXDOMAIN', { host: 'h', resolver: 'r' }, { severity: 'fatal' as never }),
      'sev',
    );
    // Evidence without the fields the entry's message reads (a message that would call .join on undefined).
    for (const code of ['DNS_MIXED_ANSWERS', 'DNS_PUBLIC_ADDRESS', 'HUB_OUTSIDE_VNET', 'DPS_CACHE_CORRUPT'] as const) {
      const f = createFinding(code, {} as never);
      assert.equal(f.code, code);
      assert.equal(typeof f.message, 'string');
      assert.equal(typeof f.remediation, 'string');
    }
  });

  it('the findings renderers on garbage: our error; on odd evidence (BigInt, cycles): rendered', () => {
    for (const g of garbage) {
      for (const render of [
        () => renderFindingsText(g as never),
        () => renderFindingsText(g as never, { verbose: true }),
        () => renderFindingsJson(g as never),
        () => findingsToJson(g as never),
      ]) {
        if (Array.isArray(g) && g.length === 0) assert.doesNotThrow(render);
        else throwsOurs(render, describeValue(g));
      }
    }
    const ok = createFinding('DNS_NXDOMAIN', { host: 'h.example', resolver: 'system' });
    const cyclic: Record<string, unknown> = { n: 10n };
    cyclic.self = cyclic;
    const odd = { ...ok, evidence: cyclic };
    assert.match(renderFindingsText([odd], { verbose: true }), /n: "10n"/);
    assert.match(renderFindingsJson([odd]), /"10n"/);
    assert.doesNotThrow(() => renderFindingsText([ok], null as never));
    const throwing = { ...ok, evidence: Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new TypeError('getter'); } }) }; // prettier-ignore
    throwsOurs(() => renderFindingsText([throwing], { verbose: true }), 'throwing getter');
  });
});

function describeValue(v: unknown): string {
  if (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function') return typeof v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return 'an object';
  }
}
