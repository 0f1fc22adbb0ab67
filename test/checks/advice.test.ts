// dps-check's advice names its own flags and config-file keys, never the library's option names.
import assert from 'node:assert/strict';
import { adviseFinding, inInterfaceWords } from '../../src/checks/advice';
import { createFinding } from '../../src/findings/finding';
import { findingCatalogue } from '../../src/index';
import { LIBRARY_NAMES } from './cli-helper';

/** Evidence that answers every field: a list (so `.join` works and the text shows something), or the given fields. */
function evidence(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return new Proxy(fields, {
    get: (target, key) => (typeof key === 'string' && key in target ? target[key] : ['x']),
    has: () => true,
  });
}

/** Every text a catalogue entry can say, over the evidence variants its branches read. */
function textsOf(spec: { message: (e: never) => string; remediation: (e: never) => string }): string[] {
  const variants = [
    {},
    ...['resolving', 'connecting', 'tls', 'verifying hub', 'registering'].map((step) => ({ step })),
  ];
  return variants.flatMap((v) =>
    [spec.message, spec.remediation].map((build) => {
      try {
        return build(evidence(v) as never);
      } catch {
        return '';
      }
    }),
  );
}

describe('dps-check advice in the words of its interface', () => {
  it('the library texts do use option names (so the rewrite below has work to do)', () => {
    const used = Object.values(findingCatalogue)
      .flatMap(textsOf)
      .filter((t) => LIBRARY_NAMES.test(t));
    assert.ok(used.length >= 8, `${used.length} texts`);
  });

  it('no catalogue text, rewritten, names a library option', () => {
    for (const [code, spec] of Object.entries(findingCatalogue)) {
      for (const text of textsOf(spec)) {
        const shown = inInterfaceWords(text);
        assert.doesNotMatch(shown, LIBRARY_NAMES, `${code}: ${shown}`);
      }
    }
  });

  const table: { text: string; shown: string }[] = [
    {
      text: 'or network.expectedCidrs is wrong: set it',
      shown: 'or --expect-cidr ("expectedCidrs" in the config file) is wrong: set it',
    },
    { text: "Keep network.policy 'enforce' until", shown: 'Keep --policy enforce until' },
    { text: 'raise retry.maxAttempts or timeoutMs if', shown: 'raise --timeout-ms if' },
    { text: 'or raise timeoutMs.', shown: 'or raise --timeout-ms.' },
    { text: 'pass them as tls.ca; if', shown: 'pass them with --ca (or "caFile" in the config file); if' },
    {
      text: 're-provision (forceReprovision) to re-create it.',
      shown: 'register again (dps-check --register) to re-create it.',
    },
    { text: 'within 5000 ms (--timeout-ms)', shown: 'within 5000 ms (--timeout-ms)' },
  ];
  for (const c of table) {
    it(`${JSON.stringify(c.text)} → ${JSON.stringify(c.shown)}`, () => {
      assert.equal(inInterfaceWords(c.text), c.shown);
    });
  }

  it('a finding keeps its code, severity, evidence and link; only message and fix are reworded', () => {
    const f = createFinding('DNS_OUTSIDE_VNET', {
      host: 'x.azure-devices-provisioning.net',
      resolver: '10.1.0.4',
      addresses: ['10.99.0.4'],
      expectedCidrs: ['10.1.0.0/16'],
    });
    const shown = adviseFinding(f);
    assert.match(f.remediation, /network\.expectedCidrs/);
    assert.match(shown.remediation, /--expect-cidr \("expectedCidrs" in the config file\)/);
    assert.deepEqual({ ...shown, message: f.message, remediation: f.remediation }, f);
  });
});
