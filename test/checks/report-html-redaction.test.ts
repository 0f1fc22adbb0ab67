// The HTML page is the JSON bundle redacted once and then drawn: a secret in evidence, proxy credentials in the
// environment and the passphrase are absent from the page exactly as from the JSON file; the file is 0600.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { toJsonDocument } from '../../src/checks/render';
import { writeSupportBundle } from '../../src/checks/report';
import type { CheckReport } from '../../src/checks/types';
import type { LoadedConfig } from '../../src/config/types';
import { tempDir } from './fixtures';

const SAS = 'SharedAccessSignature sr=0ne%2fregistrations%2fdev&sig=c2VjcmV0JTNE&se=1&skn=registration';
const SYMMETRIC_KEY = 'bm90LWEtcmVhbC1rZXktYnV0LWxvbmctZW5vdWdoLTMyYg==';

function reports(): CheckReport[] {
  return [
    {
      id: 'dps-register',
      title: 'Registration',
      section: 'provisioning',
      result: 'error',
      findings: [
        {
          code: 'DPS_UNAUTHORIZED',
          severity: 'error',
          message: `DPS answered 401 to ${SAS}`,
          evidence: { token: SAS, pasted: `key ${SYMMETRIC_KEY}`, keyFile: '/etc/dps/dev.key' },
          remediation: 'Check the enrollment.',
        },
      ],
      evidence: { note: SAS, keyFile: '/etc/dps/dev.key' },
      detail: `failed with ${SAS}`,
      durationMs: 1,
    },
  ] as unknown as CheckReport[];
}

describe('dps-check --report FILE.html is redacted like the JSON bundle', () => {
  const dir = tempDir('report-html-redaction-');
  const loaded: LoadedConfig = {
    config: { provisioningHost: 'lab-dps.azure-devices-provisioning.net' } as LoadedConfig['config'],
    sources: {},
    passphrase: 'hunter2-passphrase',
    symmetricKey: SYMMETRIC_KEY,
  };
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { HTTPS_PROXY: 'http://alice:Pr0xyPassw0rd@127.0.0.9:3128' };

  function write(name: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, 'old', { mode: 0o644 }); // an existing, world-readable file is replaced by a 0600 one
    const doc = toJsonDocument('0.0.0', reports(), { ok: 0, warning: 0, error: 1, skipped: 0 });
    writeSupportBundle(file, doc, loaded, new Date('2026-01-01T00:00:00Z'), env);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    return readFileSync(file, 'utf8');
  }

  it('no SAS signature, symmetric key, passphrase or proxy password; the non-secret facts are shown', () => {
    const page = write('bundle.html');
    assert.match(page, /^<!DOCTYPE html>/);
    for (const secret of ['c2VjcmV0', SYMMETRIC_KEY, 'hunter2', 'Pr0xyPassw0rd'])
      assert.ok(!page.includes(secret), `${secret} is on the page`);
    assert.match(page, /127\.0\.0\.9:3128/);
    assert.match(page, /\/etc\/dps\/dev\.key/);
    assert.match(page, /DPS_UNAUTHORIZED/);
  });

  it('the same bundle as JSON (.json) hides the same values: one redaction for both formats', () => {
    const json = write('bundle.json');
    const bundle = JSON.parse(json) as { checks: { evidence: Record<string, unknown> }[] };
    assert.equal(bundle.checks[0]?.evidence['keyFile'], '/etc/dps/dev.key');
    for (const secret of ['c2VjcmV0', SYMMETRIC_KEY, 'hunter2', 'Pr0xyPassw0rd']) assert.ok(!json.includes(secret));
  });
});
