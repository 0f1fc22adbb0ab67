#!/usr/bin/env node
// @ts-check
// Raspberry Pi device app: provisions through DPS over the private endpoint (or reuses the cached assignment), opens
// the pinned hub client and sends telemetry every N seconds until stopped. Plain CommonJS: runs with `node` straight
// from the installed package (node_modules/dps-private-link/samples/raspberry-pi/app.js), no build step, no tsx.
//
//   node app.js [--config /etc/dps-private-link/device.json] [--state-dir /var/lib/dps-private-link] [--interval 60]
//   node app.js --lab          # the same flow against a local lab on loopback (five-minute quick start)
//   node app.js --lab --state-dir DIR   # ...keeping the lab's cached assignment in DIR
//   node app.js --no-posture   # do not write the private-link posture to the device twin (on by default)
//
// Exit status: 0 stopped by SIGTERM/SIGINT or after --count messages; 1 gave up (see the log); 2 bad usage or
// configuration (one line naming the setting and the fix; systemd does not restart it: RestartPreventExitStatus=2).
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { Message } = require('azure-iot-device');
const { NoRetry } = require('azure-iot-common');
const { connectDevice, DpsPrivateLinkError } = require('dps-private-link');
const { loadConfig, loadDeviceIdentity } = require('dps-private-link/diagnostics');

const DEFAULT_CONFIG = '/etc/dps-private-link/device.json';
const DEFAULT_STATE_DIR = '/var/lib/dps-private-link';
const THERMAL = '/sys/class/thermal/thermal_zone0/temp';
/** Reconnect back-off: 1 s doubling to 5 min, ±20 % jitter so a fleet that lost the VPN does not return in step. */
const BACKOFF = { firstMs: 1000, maxMs: 300_000, jitter: 0.2 };
/** A stop signal must end the process within 5 s (systemd's TimeoutStopSec is longer): close, or exit anyway. */
const STOP_DEADLINE_MS = 4000;

const USAGE = `Usage: node app.js [options]

Provisions this device through Azure DPS over a private endpoint (or reuses the
cached assignment), connects to the assigned IoT hub and sends telemetry (CPU
temperature) every --interval seconds until SIGTERM/SIGINT.

Options:
  --config FILE     device JSON config, the file dps-check --config reads
                    (default: $DPS_CONFIG, else
                    ${DEFAULT_CONFIG})
  --state-dir DIR   where the cached assignment lives; must be writable
                    (default: $STATE_DIRECTORY, else
                    ${DEFAULT_STATE_DIR})
  --interval S      seconds between messages (default 60; decimals allowed)
  --count N         stop after N messages (default: run until stopped)
  --lab             start a local lab on loopback, enroll pi-0001, run there
                    (writes its own config: not with --config; the state
                    is thrown away unless --state-dir or STATE_DIRECTORY)
  --no-posture      do not report the private-link posture to the device twin
                    (reported property privateLink; on by default)
  -h, --help        this text
  --version         print the version and exit

Secrets come from the environment only: DPS_KEY_PASSPHRASE (encrypted key),
DPS_SYMMETRIC_KEY (symmetric-key enrollment). Every config field can also be
set as DPS_* (see dps-check --help).

Exit status: 0 stopped, 1 gave up, 2 bad usage or configuration.
`;

/** @param {string} line */
const log = (line) => void process.stdout.write(`${line}\n`);

/** A usage or configuration problem: one line naming the setting and the fix; exit 2. */
class UsageError extends Error {}

/**
 * @param {string[]} argv
 * @returns {{ help: true } | { version: true } | { configFile: string, stateDir: string | undefined,
 *   intervalMs: number, count: number | undefined, lab: boolean, posture: boolean }}
 */
function parse(argv) {
  /** @type {ReturnType<typeof parseArgs>} */
  let parsed;
  const options = /** @type {const} */ ({
    config: { type: 'string' },
    'state-dir': { type: 'string' },
    interval: { type: 'string' },
    count: { type: 'string' },
    lab: { type: 'boolean' },
    'no-posture': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  });
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    // One line for the journal: Node's "argument is ambiguous" text spans three.
    const message = /** @type {Error} */ (err).message
      .replace(/\. To specify a positional argument.*$/s, '')
      .replace(/^Option '(--[\w-]+)' argument is ambiguous\..*$/s, '$1 needs a value');
    throw new UsageError(`${message} (see --help)`);
  }
  const v = /** @type {Record<string, string | boolean | undefined>} */ (parsed.values);
  if (v.help) return { help: true };
  if (v.version) return { version: true };
  const interval = /** @type {string | undefined} */ (v.interval) ?? '60';
  const seconds = /^\d+(\.\d+)?$/.test(interval) ? Number(interval) : NaN;
  if (!(seconds >= 0.01 && seconds <= 86_400))
    throw new UsageError(`--interval ${JSON.stringify(interval)}: use a number of seconds from 0.01 to 86400`);
  const countText = /** @type {string | undefined} */ (v.count);
  const count = countText === undefined ? undefined : /^\d+$/.test(countText) ? Number(countText) : NaN;
  if (count !== undefined && !(count >= 1))
    throw new UsageError(`--count ${JSON.stringify(countText)}: use a whole number of messages, 1 or more`);
  // The lab writes the config of its own enrolled device: a --config beside --lab would be silently ignored.
  if (v.lab && v.config !== undefined)
    throw new UsageError('--config does not go with --lab (the lab writes its own config): drop one');
  // Undefined = not chosen: the lab then uses a throwaway directory, a real device the default.
  const stateDir = /** @type {string | undefined} */ (v['state-dir']) ?? process.env.STATE_DIRECTORY?.split(':')[0];
  return {
    configFile: /** @type {string | undefined} */ (v.config) ?? (process.env.DPS_CONFIG || DEFAULT_CONFIG),
    stateDir: stateDir || undefined,
    intervalMs: Math.round(seconds * 1000),
    count,
    lab: !!v.lab,
    posture: !v['no-posture'],
  };
}

/** CPU temperature on a Pi (millidegrees in sysfs); a plausible simulated reading elsewhere. */
function temperature() {
  try {
    const c = Number(fs.readFileSync(THERMAL, 'utf8').trim()) / 1000;
    if (Number.isFinite(c)) return { temperatureC: c, simulated: false };
  } catch {
    // not a Pi (or no thermal zone): simulate
  }
  return { temperatureC: Math.round((45 + Math.random() * 5) * 10) / 10, simulated: true };
}

/**
 * Everything connectDevice needs, from the config file + environment, checked before any network traffic.
 * @param {string} configFile
 * @param {string | undefined} stateDir the chosen state directory (--state-dir, STATE_DIRECTORY), if any
 * @param {NodeJS.ProcessEnv} env
 */
function deviceOptions(configFile, stateDir, env) {
  if (!fs.existsSync(configFile))
    throw new UsageError(`--config ${configFile}: no such file: create it (see device.example.json) or pass --config`);
  const loaded = loadConfig({ configFile, env });
  const { config } = loaded;
  for (const [key, env] of /** @type {const} */ ([
    ['provisioningHost', 'DPS_PROVISIONING_HOST'],
    ['idScope', 'DPS_ID_SCOPE'],
    ['registrationId', 'DPS_REGISTRATION_ID'],
  ])) {
    if (!config[key]) throw new UsageError(`${configFile}#${key}: missing: set "${key}" in the file or ${env}`);
  }
  if (!config.expectedCidrs.length && config.policy !== 'off')
    throw new UsageError(
      `${configFile}#expectedCidrs: missing: list the VNET ranges of the private endpoints, e.g. ["10.1.0.0/16"]`,
    );
  /** @type {import('dps-private-link').DeviceAuth} */
  let auth;
  if (config.certFile && config.keyFile) {
    const id = loadDeviceIdentity({
      certFile: config.certFile,
      certSource: `${configFile}#certFile`,
      keyFile: config.keyFile,
      keySource: `${configFile}#keyFile`,
      ...(loaded.passphrase ? { passphrase: loaded.passphrase } : {}),
    });
    if (!id.key) throw new UsageError(`${configFile}#keyFile: no private key read: check the file`);
    auth = { cert: id.certPem, key: /** @type {string} */ (id.key.export({ type: 'pkcs8', format: 'pem' })) };
    // The library refuses both credentials at once: the certificate wins here, and the journal says so.
    if (loaded.symmetricKey) log('warning: DPS_SYMMETRIC_KEY is set too; the certificate is used, unset the key');
  } else if (loaded.symmetricKey) {
    auth = { symmetricKey: loaded.symmetricKey };
  } else {
    throw new UsageError(
      `${configFile}#certFile: no credentials: set certFile and keyFile, or DPS_SYMMETRIC_KEY in the environment`,
    );
  }
  let ca;
  if (config.caFile) {
    try {
      ca = fs.readFileSync(config.caFile, 'utf8');
    } catch (err) {
      const code = /** @type {NodeJS.ErrnoException} */ (err).code;
      throw new UsageError(`${configFile}#caFile: cannot read ${config.caFile} (${code}): fix the path or remove it`);
    }
  }
  const cache = cacheLocation(config.cacheFile, stateDir, configFile);
  // The cache must be writable, or every boot re-registers with DPS: say so now, not as a warning on each start.
  try {
    fs.accessSync(path.dirname(cache.path), fs.constants.W_OK);
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    throw new UsageError(
      `${cache.setting} ${path.dirname(cache.path)}: not writable (${code}): create it owned by this user (install.sh does) or set STATE_DIRECTORY`,
    );
  }
  /** @type {import('dps-private-link').ProvisionOptions} */
  const options = {
    provisioningHost: /** @type {string} */ (config.provisioningHost),
    idScope: /** @type {string} */ (config.idScope),
    registrationId: /** @type {string} */ (config.registrationId),
    auth,
    network: {
      expectedCidrs: config.expectedCidrs,
      policy: config.policy,
      ...(config.dnsServers.length ? { dnsServers: config.dnsServers } : {}),
    },
    transport: config.transport,
    ...(ca ? { tls: { ca } } : {}),
    ...(config.port ? { port: config.port } : {}),
    ...(config.wsPort ? { wsPort: config.wsPort } : {}),
    // connectDevice hands the same proxy to the hub client.
    ...(config.proxy ? { proxy: config.proxy } : {}),
    cache: { path: cache.path },
  };
  return { options, hub: config.hubPort ? { port: config.hubPort } : {} };
}

/**
 * Where the cached assignment lives: `cacheFile` from the config (which dps-check --config reads too), else
 * assignment.json in the state directory. A cacheFile outside a chosen state directory is refused, not ignored: under
 * the unit's ProtectSystem=strict the state directory is the only place the service can write.
 * @param {string | undefined} cacheFile
 * @param {string | undefined} stateDir
 * @param {string} configFile
 * @returns {{ path: string, setting: string }} the path, and the setting that chose its directory (for errors)
 */
function cacheLocation(cacheFile, stateDir, configFile) {
  if (!cacheFile) return { path: path.join(stateDir ?? DEFAULT_STATE_DIR, 'assignment.json'), setting: '--state-dir' };
  if (stateDir && path.resolve(path.dirname(cacheFile)) !== path.resolve(stateDir))
    throw new UsageError(
      `${configFile}#cacheFile: ${cacheFile} is outside the state directory ${stateDir} (--state-dir or ` +
        `STATE_DIRECTORY): put it in ${stateDir} or remove cacheFile`,
    );
  return { path: cacheFile, setting: `${configFile}#cacheFile` };
}

/** Settings the lab's own device config must not take from the environment (they win over the file). */
const LAB_IGNORES = /^DPS_/;

/**
 * The environment for the lab device: without DPS_* settings, which would otherwise override the lab's own config
 * (an exported DPS_ID_SCOPE would send the lab device to a real DPS). Says which it left out.
 * @param {NodeJS.ProcessEnv} env
 */
function labEnv(env) {
  const ignored = Object.keys(env).filter((k) => LAB_IGNORES.test(k) && env[k]);
  if (ignored.length) log(`lab: ignoring from the environment (the lab has its own):\n  ${ignored.sort().join(', ')}`);
  return Object.fromEntries(Object.entries(env).filter(([k]) => !LAB_IGNORES.test(k)));
}

/**
 * The lab quick start: a lab on loopback, one enrolled device, its credentials and config in a temp directory.
 * @param {string | undefined} stateDir a chosen state directory (kept afterwards); else one in the temp directory
 * @returns {Promise<{ close(): Promise<void>, configFile: string, stateDir: string }>}
 */
async function startLabDevice(stateDir) {
  const { startLab } = require('dps-private-link/lab');
  const lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-lab-'));
  const device = await lab.createDevice('pi-0001', 'x509-individual');
  if (!('cert' in device.auth)) throw new Error('expected X.509 credentials');
  fs.writeFileSync(path.join(dir, 'pi-0001.pem'), device.auth.cert, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'pi-0001.key'), device.auth.key, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'lab-ca.pem'), lab.caPem);
  const configFile = path.join(dir, 'device.json');
  const config = {
    provisioningHost: lab.dps.host,
    idScope: lab.dps.idScope,
    registrationId: device.registrationId,
    certFile: 'pi-0001.pem',
    keyFile: 'pi-0001.key',
    caFile: 'lab-ca.pem',
    expectedCidrs: lab.vnetCidrs,
    dnsServers: [lab.dnsServer],
    port: lab.dps.port,
    hubPort: lab.hub.port,
  };
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const state = stateDir ?? path.join(dir, 'state');
  if (!stateDir) fs.mkdirSync(state, { mode: 0o700 });
  // One fact a line: the quick start is read in an 80-column terminal.
  log(`lab: DPS ${lab.dps.host} at ${lab.dps.address}:${lab.dps.port}`);
  log(`lab: DNS ${lab.dnsServer}`);
  log(`lab: config ${configFile}`);
  return {
    configFile,
    stateDir: state,
    close: async () => {
      log(`lab: hub received ${lab.received(device.deviceId).length} message(s)`);
      const posture = /** @type {{ dps?: { verdict?: string }, hub?: { verdict?: string } } | undefined} */ (
        lab.reportedProperties(device.deviceId)?.privateLink
      );
      log(
        posture
          ? `lab: twin reports privateLink (dps ${posture.dps?.verdict}, hub ${posture.hub?.verdict})`
          : 'lab: twin has no privateLink',
      );
      await lab.close();
      // The lab's throwaway credentials (and cache, unless the state directory was chosen) go with it.
      fs.rmSync(dir, { recursive: true, force: true });
      if (stateDir) log(`lab: state kept in ${stateDir}`);
    },
  };
}

/** @param {unknown} err */
function describeError(err) {
  if (err instanceof DpsPrivateLinkError) {
    const lines = [`${err.code}: ${err.message}`];
    for (const f of err.findings ?? [])
      lines.push(`  [${f.severity}] ${f.code}: ${f.message}`, `    fix: ${f.remediation}`);
    return lines.join('\n');
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * The device loop: connect (re-verifying DNS and the hub each time), send, and on any loss reconnect with back-off.
 * @param {ReturnType<typeof deviceOptions>} device
 * @param {{ intervalMs: number, count: number | undefined, configFile: string, posture: boolean }} run
 * @param {AbortSignal} signal
 */
async function runDevice(device, run, signal) {
  let sent = 0;
  let failures = 0;
  /** @param {number} ms */
  const sleep = (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve(undefined);
      }
      signal.addEventListener('abort', done, { once: true });
    });
  while (!signal.aborted) {
    /** @type {import('azure-iot-device').Client | undefined} */
    let client;
    /** @type {Promise<unknown> | undefined} */
    let posture;
    try {
      // The posture goes to the twin beside the telemetry (only when it changed); --no-posture turns it off.
      const connected = await connectDevice({ ...device.options, signal }, device.hub, {
        posture: run.posture ? { signal } : false,
      });
      client = connected.client;
      posture = connected.posture?.then(logPosture);
      const { result } = connected;
      failures = 0;
      const how = connected.reprovisioned
        ? 'hub refused the cached identity: provisioned again'
        : result.fromCache
          ? 'from cache'
          : `provisioned over ${result.tls.protocol}`;
      log(`online: ${result.deviceId} on ${result.assignedHub} (${how})`);
      for (const f of result.findings) log(`  [${f.severity}] ${f.code}: ${f.message}`);
      // Our loop reconnects (and re-verifies the endpoints); the SDK's own silent retries would reuse the old pin.
      client.setRetryPolicy(new NoRetry());
      const lost = new Promise((resolve) => {
        client?.once('disconnect', () => resolve('the hub connection was lost'));
        client?.on('error', (/** @type {Error} */ e) => resolve(`hub client error: ${e.message}`));
      });
      while (!signal.aborted) {
        const reading = temperature();
        const body = { deviceId: result.deviceId, seq: sent, at: new Date().toISOString(), ...reading };
        const message = new Message(JSON.stringify(body));
        message.contentType = 'application/json';
        message.contentEncoding = 'utf-8';
        await client.sendEvent(message);
        sent += 1;
        const first = sent === 1 ? ` (first, ${Math.round(performance.now())} ms after process start)` : '';
        log(`telemetry #${sent}: ${reading.temperatureC} °C${reading.simulated ? ' (simulated)' : ''}${first}`);
        if (run.count !== undefined && sent >= run.count) return 0;
        const why = await Promise.race([sleep(run.intervalMs).then(() => undefined), lost]);
        if (why) throw new Error(/** @type {string} */ (why));
      }
    } catch (err) {
      if (signal.aborted) break;
      if (err instanceof UsageError || (err instanceof DpsPrivateLinkError && err.code === 'ERR_INVALID_OPTION'))
        throw err;
      failures += 1;
      const base = Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** (failures - 1));
      const wait = Math.round(base * (1 - BACKOFF.jitter + Math.random() * 2 * BACKOFF.jitter));
      log(`offline (attempt ${failures}): ${describeError(err)}`);
      if (failures === 1) log(`  diagnose with: dps-check --config ${run.configFile}`);
      log(`  retrying in ${(wait / 1000).toFixed(1)} s`);
      await sleep(wait);
    } finally {
      // A report still in flight gets a moment to finish before the connection closes under it.
      if (posture) await Promise.race([posture, new Promise((r) => setTimeout(r, 2000).unref())]);
      await client?.close().catch(() => undefined);
    }
  }
  return 0;
}

/** @param {import('dps-private-link').PostureReport} report */
function logPosture(report) {
  if (report.status === 'failed') for (const f of report.findings) log(`  [${f.severity}] ${f.code}: ${f.message}`);
  else log(`posture: ${report.status} (${report.propertyName}, ${report.bytes} bytes)`);
}

async function main() {
  let args;
  try {
    args = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`app: ${/** @type {Error} */ (err).message}\n`);
    return 2;
  }
  if ('help' in args) {
    process.stdout.write(USAGE);
    return 0;
  }
  if ('version' in args) {
    log(`dps-private-link Pi app ${require('dps-private-link/package.json').version}`);
    return 0;
  }
  const stop = new AbortController();
  const onSignal = (/** @type {string} */ name) => {
    if (stop.signal.aborted) return;
    log(`${name}: closing the hub client`);
    stop.abort();
    // If closing hangs (a half-open socket), exit anyway: a stop must never take longer than 5 s.
    setTimeout(() => process.exit(0), STOP_DEADLINE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const lab = args.lab ? await startLabDevice(args.stateDir) : undefined;
  const configFile = lab ? lab.configFile : args.configFile;
  try {
    const device = deviceOptions(
      configFile,
      lab ? lab.stateDir : args.stateDir,
      lab ? labEnv(process.env) : process.env,
    );
    log(`config ${configFile}; state ${path.dirname(/** @type {{ path: string }} */ (device.options.cache).path)}`);
    return await runDevice(device, { ...args, configFile }, stop.signal);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof DpsPrivateLinkError && err.code === 'ERR_INVALID_OPTION')) {
      process.stderr.write(`app: ${/** @type {Error} */ (err).message.split('\n')[0]}\n`);
      return 2;
    }
    throw err;
  } finally {
    await lab?.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`app: ${describeError(err)}\n`);
    process.exitCode = 1;
  },
);
