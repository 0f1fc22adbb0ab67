// Hardening item 5: the findings functions of the public API (createFinding, the renderers) throw the package's
// InvalidOptionError — a DpsPrivateLinkError with its code — on malformed input, like every other public function.
// Before, the findings layer threw a look-alike that `instanceof DpsPrivateLinkError` did not recognise.
import assert from 'node:assert/strict';
import {
  createFinding,
  DpsPrivateLinkError,
  findingsToJson,
  InvalidOptionError,
  renderFindingsJson,
  renderFindingsText,
} from '../../src/index';
import * as diagnostics from '../../src/diagnostics';

const ok = (): ReturnType<typeof createFinding> =>
  createFinding('DNS_NXDOMAIN', { host: 'h.example', resolver: 'system' });
const throwingGetter = (): object =>
  Object.defineProperty({}, 'x', {
    enumerable: true,
    get: () => {
      throw new TypeError('getter');
    },
  });

const cases: [string, () => unknown, string][] = [
  ['createFinding, unknown code', () => createFinding('NOPE' as never, {} as never), 'code'],
  ['createFinding, __proto__ as code', () => createFinding('__proto__' as never, {} as never), 'code'],
  ['createFinding, evidence null', () => createFinding('DNS_NXDOMAIN', null as never), 'evidence'],
  [
    'createFinding, a bad severity',
    () => createFinding('DNS_NXDOMAIN', { host: 'h', resolver: 'r' }, { severity: 'fatal' as never }),
    'options.severity',
  ],
  ['renderFindingsText, not an array', () => renderFindingsText({} as never), 'findings'],
  ['renderFindingsText, a non-finding inside', () => renderFindingsText([ok(), 42] as never), 'findings[1]'],
  [
    'renderFindingsText, evidence with a throwing getter',
    () => renderFindingsText([{ ...ok(), evidence: throwingGetter() }] as never, { verbose: true }),
    'findings',
  ],
  ['renderFindingsJson, null', () => renderFindingsJson(null as never), 'findings'],
  ['findingsToJson, a string', () => findingsToJson('x' as never), 'findings'],
  ['diagnostics renderFindingsText, [null]', () => diagnostics.renderFindingsText([null] as never), 'findings[0]'],
];

describe('hardening (input): the findings functions throw the typed InvalidOptionError', () => {
  for (const [what, call, option] of cases) {
    it(`${what}: InvalidOptionError (a DpsPrivateLinkError) naming ${option}`, () => {
      assert.throws(call, (err: unknown) => {
        assert.ok(err instanceof DpsPrivateLinkError, `not a DpsPrivateLinkError: ${String(err)}`);
        assert.ok(err instanceof InvalidOptionError);
        assert.equal(err.name, 'InvalidOptionError');
        assert.equal(err.code, 'ERR_INVALID_OPTION');
        assert.equal(err.option, option);
        assert.deepEqual(err.findings, []);
        return true;
      });
    });
  }
});
