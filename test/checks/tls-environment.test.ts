// dps-check's tls-environment check: the environment the run sees (RunSettings.env), as the device's process has it.
import assert from 'node:assert/strict';
import { checkIds } from '../../src/checks/registry';
import { tlsEnvironment } from '../../src/checks/tls-environment';
import type { CheckContext } from '../../src/checks/types';
import { loadConfig } from '../../src/config/load';

function ctx(env: NodeJS.ProcessEnv): CheckContext {
  const loaded = loadConfig({
    flags: { provisioningHost: 'env-dps.azure-devices-provisioning.net', expectedCidrs: [] },
  });
  return {
    loaded,
    config: loaded.config,
    settings: { register: false, compareSystem: false, timeoutMs: 1000, now: () => new Date(), env },
    state: {},
  };
}

describe('dps-check tls-environment', () => {
  it('is registered in the tls section, before the TLS handshakes', () => {
    const ids = checkIds();
    assert.ok(ids.includes('tls-environment'));
    assert.equal(tlsEnvironment.section, 'tls');
    assert.ok(ids.indexOf('tls-environment') < ids.indexOf('dps-tls-mqtt'));
  });

  it('warns with ENV_TLS_WEAKENED for NODE_TLS_REJECT_UNAUTHORIZED=0 and --tls-min-v1.0', async () => {
    const out = await tlsEnvironment.run(ctx({ NODE_TLS_REJECT_UNAUTHORIZED: '0', NODE_OPTIONS: '--tls-min-v1.0' }));
    assert.deepEqual(
      out.findings?.map((f) => [f.code, f.severity]),
      [['ENV_TLS_WEAKENED', 'warning']],
    );
    assert.deepEqual(out.evidence?.['settings'], ['NODE_TLS_REJECT_UNAUTHORIZED=0', 'NODE_OPTIONS --tls-min-v1.0']);
    assert.match(out.detail ?? '', /NODE_TLS_REJECT_UNAUTHORIZED=0/);
  });

  it('is ok with a clean environment', async () => {
    const out = await tlsEnvironment.run(ctx({ NODE_OPTIONS: '--max-old-space-size=256' }));
    assert.deepEqual(out.findings ?? [], []);
    assert.equal(out.result ?? 'ok', 'ok');
  });
});
