// Every error class, its name and its code, pinned (undici's test/errors.js pattern): codes never change once shipped.
import assert from 'node:assert/strict';
import { AbortedError, DpsPrivateLinkError, InvalidOptionError } from '../../src/errors';
import { createFinding } from '../../src/findings/finding';
import { catalogue } from '../../src/findings/catalogue';
import { HubConnectionError } from '../../src/handoff/hub-client';
import { LabListenError } from '../../src/lab/errors';
import { ProvisioningError } from '../../src/provision/errors';

describe('errors: one base class, a fixed name and a stable code each', () => {
  const dnsFinding = createFinding('DNS_NXDOMAIN', { host: 'x.azure-devices-provisioning.net', resolver: 'system' });
  const hubFinding = createFinding('HUB_TIMEOUT', { hub: 'h.azure-devices.net', timeoutMs: 1, tlsCompleted: false });
  const cases: [string, DpsPrivateLinkError, string, string][] = [
    [
      'InvalidOptionError',
      new InvalidOptionError('port', 'is bad', 'Fix it.'),
      'InvalidOptionError',
      'ERR_INVALID_OPTION',
    ],
    ['AbortedError', new AbortedError('resolving', 'why'), 'AbortError', 'ERR_ABORTED'],
    [
      'LabListenError',
      new LabListenError('wsPort', '127.0.0.1', 443, Object.assign(new Error('x'), { code: 'EACCES' })),
      'LabListenError',
      'ERR_LAB_LISTEN',
    ],
    [
      'ProvisioningError',
      new ProvisioningError(dnsFinding, { step: 'resolving' }),
      'ProvisioningError',
      'DNS_NXDOMAIN',
    ],
    ['HubConnectionError', new HubConnectionError(hubFinding, []), 'HubConnectionError', 'HUB_TIMEOUT'],
  ];
  for (const [what, err, name, code] of cases) {
    it(`${what}: name ${name}, code ${code}, an Error and a DpsPrivateLinkError`, () => {
      assert.ok(err instanceof Error && err instanceof DpsPrivateLinkError);
      assert.equal(err.name, name);
      assert.equal(err.code, code);
      assert.ok(Array.isArray(err.findings));
    });
  }

  it("a diagnosed error's code is its primary finding's code, and a catalogue code", () => {
    for (const [, err] of cases.slice(3)) {
      assert.equal(err.code, err.findings[0]?.code);
      assert.ok(err.code in catalogue);
    }
  });
});
