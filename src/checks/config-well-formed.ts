import { CONFIG_KEYS } from '../config/types';
import { shownValue } from '../redact';
import type { Check } from './types';

/**
 * `config-well-formed`: every value and where it came from (flag, environment, config file, default), and the
 * settings that make a check run blind. Malformed values never get here: they are bad usage (exit 2).
 */
export const configWellFormed: Check = {
  id: 'config-well-formed',
  title: 'Configuration is complete and well-formed',
  section: 'configuration',
  run(ctx) {
    const { config, sources } = ctx.loaded;
    // A key or passphrase pasted into another setting (--id-scope, DPS_REGISTRATION_ID…) is shown by size only.
    const secrets = [ctx.loaded.symmetricKey, ctx.loaded.passphrase];
    const values = Object.fromEntries(
      CONFIG_KEYS.filter((k) => config[k] !== undefined).map((k) => [
        k,
        { value: shownValue(config[k], secrets), source: sources[k]?.name ?? 'default' },
      ]),
    );
    const warnings: string[] = [];
    if (!config.idScope) warnings.push('no --id-scope: a registration cannot be tried');
    if (!config.registrationId) warnings.push('no --registration-id: the certificate CN cannot be compared with it');
    if (!config.certFile && !ctx.loaded.symmetricKey)
      warnings.push('no device credentials (--cert/--key or DPS_SYMMETRIC_KEY)');
    // The library refuses both at once; dps-check and the Pi app take the certificate, so say which one counts.
    if (config.certFile && ctx.loaded.symmetricKey)
      warnings.push('both --cert and DPS_SYMMETRIC_KEY are set: the certificate is used, unset the other');
    if (config.expectedCidrs.length === 0)
      warnings.push(`no --expect-cidr: addresses cannot be checked against the VNET (policy ${config.policy})`);
    if (config.policy !== 'enforce')
      warnings.push(`--policy ${config.policy}: checks connect to addresses outside the expected ranges`);
    // A TLS-weakening NODE_OPTIONS is tls-environment's finding (ENV_TLS_WEAKENED), not a second warning here.
    const evidence = {
      configFile: ctx.loaded.configFile ?? null,
      values,
      passphrase: ctx.loaded.passphraseSource ? `from ${ctx.loaded.passphraseSource}` : 'none',
      symmetricKey: ctx.loaded.symmetricKey ? 'from DPS_SYMMETRIC_KEY' : 'none',
      warnings,
    };
    if (warnings.length) return { result: 'warning', evidence, detail: warnings.join('; ') };
    return {
      evidence,
      detail: ctx.loaded.configFile
        ? `from ${ctx.loaded.configFile}, flags and environment`
        : 'from flags and environment',
    };
  },
};
