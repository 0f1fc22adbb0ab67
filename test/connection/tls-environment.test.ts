// NODE_TLS_REJECT_UNAUTHORIZED=0 and TLS-weakening NODE_OPTIONS: this package's sockets set their own options, but
// every other TLS client in the process (other Azure SDK clients, https requests) follows them. They are warned about.
import assert from 'node:assert/strict';
import { tlsEnvironmentFinding, tlsWeakenings } from '../../src/connection/tls-environment';
import { provisionDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';

describe('connection: TLS-weakening settings in the environment', () => {
  // [environment, the settings reported]
  const table: [NodeJS.ProcessEnv, string[]][] = [
    [{}, []],
    [{ NODE_TLS_REJECT_UNAUTHORIZED: '0' }, ['NODE_TLS_REJECT_UNAUTHORIZED=0']],
    // Node disables verification only for the exact string '0'.
    [{ NODE_TLS_REJECT_UNAUTHORIZED: '1' }, []],
    [{ NODE_TLS_REJECT_UNAUTHORIZED: 'false' }, []],
    [{ NODE_OPTIONS: '--tls-min-v1.0' }, ['NODE_OPTIONS --tls-min-v1.0']],
    [{ NODE_OPTIONS: '--max-old-space-size=256 --tls-min-v1.1' }, ['NODE_OPTIONS --tls-min-v1.1']],
    [{ NODE_OPTIONS: '--tls-min-v1.2 --tls-min-v1.3 --tls-max-v1.2 --tls-max-v1.3' }, []],
    [{ NODE_OPTIONS: '--tls-max-v1.1' }, ['NODE_OPTIONS --tls-max-v1.1']],
    [{ NODE_OPTIONS: '--openssl-legacy-provider' }, ['NODE_OPTIONS --openssl-legacy-provider']],
    [{ NODE_OPTIONS: '--tls-keylog=/tmp/keys.log' }, ['NODE_OPTIONS --tls-keylog=/tmp/keys.log']],
    [{ NODE_OPTIONS: '--security-revert=CVE-2023-46809' }, ['NODE_OPTIONS --security-revert=CVE-2023-46809']],
    [{ NODE_OPTIONS: '--tls-cipher-list=DEFAULT:@SECLEVEL=0' }, ['NODE_OPTIONS --tls-cipher-list=DEFAULT:@SECLEVEL=0']],
    [
      { NODE_OPTIONS: '--tls-cipher-list=DES-CBC3-SHA:RC4-SHA' },
      ['NODE_OPTIONS --tls-cipher-list=DES-CBC3-SHA:RC4-SHA'],
    ],
    [{ NODE_OPTIONS: '--tls-cipher-list ECDHE-RSA-NULL-SHA' }, ['NODE_OPTIONS --tls-cipher-list=ECDHE-RSA-NULL-SHA']],
    // A list that only narrows to strong suites, or excludes the weak ones, is not weakening.
    [{ NODE_OPTIONS: '--tls-cipher-list=ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384' }, []],
    [{ NODE_OPTIONS: '--tls-cipher-list=HIGH:!aNULL:!MD5:!RC4:-3DES' }, []],
    // Not TLS weakening: a trust store choice, an HTTP parser flag.
    [{ NODE_OPTIONS: '--use-openssl-ca --use-bundled-ca --insecure-http-parser' }, []],
    [
      { NODE_TLS_REJECT_UNAUTHORIZED: '0', NODE_OPTIONS: '"--tls-min-v1.0"  --openssl-legacy-provider' },
      ['NODE_TLS_REJECT_UNAUTHORIZED=0', 'NODE_OPTIONS --tls-min-v1.0', 'NODE_OPTIONS --openssl-legacy-provider'],
    ],
  ];
  for (const [env, expected] of table) {
    it(`${JSON.stringify(env)} → ${expected.length ? expected.join(', ') : 'nothing'}`, () => {
      assert.deepEqual(
        tlsWeakenings(env).map((w) => w.setting),
        expected,
      );
    });
  }

  it('the finding is a warning listing only the offending settings, with what each does and the fix', () => {
    const f = tlsEnvironmentFinding({
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
      NODE_OPTIONS: '--require /opt/app/preload.js --tls-min-v1.0',
    });
    assert.ok(f);
    assert.equal(f.code, 'ENV_TLS_WEAKENED');
    assert.equal(f.severity, 'warning');
    assert.deepEqual(f.evidence['settings'], ['NODE_TLS_REJECT_UNAUTHORIZED=0', 'NODE_OPTIONS --tls-min-v1.0']);
    assert.doesNotMatch(JSON.stringify(f), /preload/, 'the rest of NODE_OPTIONS is not echoed');
    assert.match(f.message, /any certificate/);
    assert.match(f.message, /Azure SDK/);
    assert.match(f.remediation, /NODE_EXTRA_CA_CERTS|tls\.ca/);
    assert.equal(tlsEnvironmentFinding({ NODE_OPTIONS: '--max-old-space-size=256' }), undefined);
  });
});

describe('provisionDevice: the environment warning is in the result', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 in process.env: provisions (our sockets still verify) with ENV_TLS_WEAKENED', async () => {
    const device = await lab.createDevice('env-weakened', 'symmetric-key');
    const saved = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    try {
      const result = await provisionDevice(optionsFor(lab, device));
      const f = result.findings.find((x) => x.code === 'ENV_TLS_WEAKENED');
      assert.equal(f?.severity, 'warning', result.findings.map((x) => x.code).join(', '));
      assert.deepEqual(f?.evidence['settings'], ['NODE_TLS_REJECT_UNAUTHORIZED=0']);
    } finally {
      if (saved === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = saved;
    }
    const clean = await provisionDevice(optionsFor(lab, device));
    assert.equal(
      clean.findings.some((x) => x.code === 'ENV_TLS_WEAKENED'),
      false,
    );
  });
});
