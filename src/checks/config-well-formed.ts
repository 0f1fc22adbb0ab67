import { CONFIG_KEYS } from '../config/types';
import type { Check } from './types';

const WEAK_TLS_FLAGS = /--tls-(min-v1\.[01]|max-v1\.[01])\b/g;

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
    const values = Object.fromEntries(
      CONFIG_KEYS.filter((k) => config[k] !== undefined).map((k) => [
        k,
        { value: config[k], source: sources[k]?.name ?? 'default' },
      ]),
    );
    const warnings: string[] = [];
    if (!config.idScope) warnings.push('no --id-scope: a registration cannot be tried');
    if (!config.registrationId) warnings.push('no --registration-id: the certificate CN cannot be compared with it');
    if (!config.certFile && !ctx.loaded.symmetricKey)
      warnings.push('no device credentials (--cert/--key or DPS_SYMMETRIC_KEY)');
    if (config.expectedCidrs.length === 0)
      warnings.push(`no --expect-cidr: addresses cannot be checked against the VNET (policy ${config.policy})`);
    if (config.policy !== 'enforce')
      warnings.push(`--policy ${config.policy}: checks connect to addresses outside the expected ranges`);
    const weakTls = ((ctx.settings.env ?? process.env)['NODE_OPTIONS'] ?? '').match(WEAK_TLS_FLAGS);
    if (weakTls) {
      warnings.push(
        `NODE_OPTIONS has ${weakTls.join(' ')}: the plain Azure SDK would accept TLS below 1.2 ` +
          '(dps-private-link sets TLS 1.2 on its own sockets)',
      );
    }
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
