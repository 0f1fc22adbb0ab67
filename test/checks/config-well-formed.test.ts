import assert from 'node:assert/strict';
import { configWellFormed } from '../../src/checks/config-well-formed';
import { tlsEnvironment } from '../../src/checks/tls-environment';
import type { CheckContext } from '../../src/checks/types';
import { loadConfig } from '../../src/config/load';

function ctx(flags: Parameters<typeof loadConfig>[0], env: NodeJS.ProcessEnv = {}): CheckContext {
  const loaded = loadConfig(flags);
  return {
    loaded,
    config: loaded.config,
    settings: { register: false, compareSystem: false, timeoutMs: 1000, now: () => new Date(), env },
    state: {},
  };
}

describe('config-well-formed', () => {
  const complete = {
    flags: {
      provisioningHost: 'x.azure-devices-provisioning.net',
      idScope: '0ne1',
      registrationId: 'd',
      certFile: '/c.pem',
      expectedCidrs: ['10.1.0.0/16'],
    },
  };

  it('is ok for a complete configuration and shows the source of every value', async () => {
    const out = await configWellFormed.run(ctx(complete, { NODE_OPTIONS: '--max-old-space-size=256' }));
    assert.equal(out.result, undefined);
    const values = out.evidence?.['values'] as Record<string, { source: string }>;
    assert.equal(values['provisioningHost']?.source, '--host');
    assert.equal(values['transport']?.source, 'default');
  });

  it('leaves a TLS-lowering NODE_OPTIONS to tls-environment: one warning for one cause', async () => {
    const env = { NODE_OPTIONS: '--tls-min-v1.0 --max-old-space-size=256' };
    assert.equal((await configWellFormed.run(ctx(complete, env))).result, undefined);
    const tls = await tlsEnvironment.run(ctx(complete, env));
    assert.deepEqual(
      tls.findings?.map((f) => f.code),
      ['ENV_TLS_WEAKENED'],
    );
  });

  it('warns when a certificate and DPS_SYMMETRIC_KEY are both set, naming the one used, never the key', async () => {
    const key = 'c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHM=';
    const out = await configWellFormed.run(ctx({ ...complete, env: { DPS_SYMMETRIC_KEY: key } }));
    assert.equal(out.result, 'warning');
    assert.match(out.detail ?? '', /both --cert and DPS_SYMMETRIC_KEY are set: the certificate is used/);
    assert.doesNotMatch(JSON.stringify(out), new RegExp(key));
  });

  it('warns about what it cannot check: no registration id, no credentials, policy warn', async () => {
    const out = await configWellFormed.run(
      ctx({ flags: { provisioningHost: 'x.azure-devices-provisioning.net', policy: 'warn' } }),
    );
    assert.equal(out.result, 'warning');
    assert.match(out.detail ?? '', /no --registration-id.*no device credentials.*--policy warn/);
  });
});
