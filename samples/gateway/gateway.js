#!/usr/bin/env node
// @ts-check
// Gateway: provisions N downstream devices through DPS over the private endpoint, at most --concurrency at a time,
// backing off together when DPS throttles (429), then sends one message per device and prints a per-device outcome
// table. One bad device never stops the rest. Plain CommonJS: runs with `node` from the installed package.
//
//   node gateway.js --lab --devices 1000 --concurrency 20      # against a local lab on loopback
//   node gateway.js --config gateway.json --list devices.json  # real devices (see README.md)
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { Message } = require('azure-iot-device');
const { connectDevice, createEndpointCache, verifyEndpoint, DpsPrivateLinkError } = require('dps-private-link');

/** Verified DPS and hub reports, shared by every device of the run within their DNS TTL. */
const endpointCache = createEndpointCache();
const { loadConfig, loadDeviceIdentity } = require('dps-private-link/diagnostics');

const USAGE = `Usage: node gateway.js (--lab | --config FILE --list FILE) [options]

Provisions downstream devices through Azure DPS over a private endpoint, a few
at a time, sends one message from each, and prints a per-device outcome table.

Devices:
  --lab               start a local lab on loopback and enroll --devices
                      devices in a group (ECC P-256 certificates)
  --devices N         how many lab devices (default 10; 1 to 10000)
  --config FILE       DPS settings: the device.json format, without the
                      per-device fields (default: $DPS_CONFIG)
  --list FILE         JSON array of {"registrationId","certFile","keyFile"};
                      paths relative to the file

Run:
  --concurrency N     registrations in flight (default 10; 1 to 200)
  --rounds N          how often a throttled device is queued again
                      (default 3; 0 to 10)
  --table all|failed  rows to print at the end (default all)
  -h, --help          this text
  --version           print the version and exit

Exit status: 0 every device online, 1 some failed, 2 bad usage.
`;

/** @param {string} line */
const log = (line) => void process.stdout.write(`${line}\n`);

class UsageError extends Error {}

/**
 * @param {string} flag
 * @param {string | undefined} text
 * @param {number} fallback
 * @param {number} min
 * @param {number} max
 */
function wholeNumber(flag, text, fallback, min, max) {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max))
    throw new UsageError(`${flag} ${JSON.stringify(text)}: use a whole number from ${min} to ${max}`);
  return n;
}

/** @param {string[]} argv */
function parse(argv) {
  const options = /** @type {const} */ ({
    lab: { type: 'boolean' },
    devices: { type: 'string' },
    config: { type: 'string' },
    list: { type: 'string' },
    concurrency: { type: 'string' },
    rounds: { type: 'string' },
    table: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  });
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    // One line: Node's "argument is ambiguous" text spans three.
    const message = /** @type {Error} */ (err).message
      .replace(/\. To specify a positional.*$/s, '')
      .replace(/^Option '(--[\w-]+)' argument is ambiguous\..*$/s, '$1 needs a value');
    throw new UsageError(`${message} (see --help)`);
  }
  if (values.help || values.version) return { help: !!values.help, version: !!values.version };
  const table = values.table ?? 'all';
  if (table !== 'all' && table !== 'failed')
    throw new UsageError(`--table ${JSON.stringify(table)}: use all or failed`);
  if (values.lab && (values.list || values.config))
    throw new UsageError('--lab enrolls its own devices: drop --list/--config, or drop --lab');
  if (!values.lab && !values.list)
    throw new UsageError('missing --list FILE (the downstream devices), or pass --lab to try it on a local lab');
  if (!values.lab && values.devices !== undefined)
    throw new UsageError('--devices only applies with --lab: the device count comes from --list');
  return {
    help: false,
    version: false,
    lab: !!values.lab,
    devices: wholeNumber('--devices', values.devices, 10, 1, 10_000),
    concurrency: wholeNumber('--concurrency', values.concurrency, 10, 1, 200),
    rounds: wholeNumber('--rounds', values.rounds, 3, 0, 10),
    table,
    config: values.config,
    list: values.list,
  };
}

/**
 * Real devices: DPS settings from the config file / DPS_* environment, credentials from the list file.
 * @param {string | undefined} configFile
 * @param {string} listFile
 */
function fromFiles(configFile, listFile) {
  let entries;
  try {
    entries = JSON.parse(fs.readFileSync(listFile, 'utf8'));
  } catch (err) {
    const e = /** @type {NodeJS.ErrnoException} */ (err);
    throw new UsageError(`--list ${listFile}: ${e.code ?? e.message}: pass a readable JSON array of devices`);
  }
  if (!Array.isArray(entries) || entries.length === 0)
    throw new UsageError(`--list ${listFile}: not a non-empty JSON array of {"registrationId","certFile","keyFile"}`);
  if (configFile && !fs.existsSync(configFile))
    throw new UsageError(`--config ${configFile}: no such file: fix the path`);
  const loaded = loadConfig({ env: process.env, ...(configFile ? { configFile } : {}) });
  const { config } = loaded;
  if (!config.provisioningHost || !config.idScope)
    throw new UsageError('--config: provisioningHost and idScope are missing: set them in the file or DPS_* variables');
  const dir = path.dirname(path.resolve(listFile));
  const devices = entries.map((e, i) => {
    if (!e || typeof e.registrationId !== 'string' || typeof e.certFile !== 'string' || typeof e.keyFile !== 'string')
      throw new UsageError(`--list ${listFile}[${i}]: needs string registrationId, certFile and keyFile`);
    const id = loadDeviceIdentity({
      certFile: path.resolve(dir, e.certFile),
      certSource: `${listFile}[${i}].certFile`,
      keyFile: path.resolve(dir, e.keyFile),
      keySource: `${listFile}[${i}].keyFile`,
      ...(loaded.passphrase ? { passphrase: loaded.passphrase } : {}),
    });
    if (!id.key) throw new UsageError(`--list ${listFile}[${i}].keyFile: no key read`);
    const key = /** @type {string} */ (id.key.export({ type: 'pkcs8', format: 'pem' }));
    return { registrationId: e.registrationId, auth: { cert: id.certPem, key } };
  });
  const ca = config.caFile ? readCa(config.caFile, configFile) : undefined;
  return {
    devices,
    common: {
      provisioningHost: config.provisioningHost,
      idScope: config.idScope,
      network: {
        expectedCidrs: config.expectedCidrs,
        policy: config.policy,
        ...(config.dnsServers.length ? { dnsServers: config.dnsServers } : {}),
      },
      transport: config.transport,
      ...(ca ? { tls: { ca } } : {}),
      ...(config.port ? { port: config.port } : {}),
      ...(config.wsPort ? { wsPort: config.wsPort } : {}),
      // connectDevice hands the same proxy to each hub client.
      ...(config.proxy ? { proxy: config.proxy } : {}),
    },
    hub: config.hubPort ? { port: config.hubPort } : {},
    close: async () => undefined,
  };
}

/**
 * The extra trust anchor of the config, or a usage error naming the setting (not a stack trace and exit 1).
 * @param {string} caFile
 * @param {string | undefined} configFile
 */
function readCa(caFile, configFile) {
  try {
    return fs.readFileSync(caFile, 'utf8');
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    const where = configFile ? `${configFile}#caFile` : 'DPS_CA_FILE';
    throw new UsageError(`${where}: cannot read ${caFile} (${code}): fix the path or remove it`);
  }
}

/** @param {number} n */
async function fromLab(n) {
  const { startLab } = require('dps-private-link/lab');
  const lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  const t0 = performance.now();
  const devices = [];
  for (let i = 0; i < n; i++) {
    // A gateway's downstream devices share a group enrollment: one CA, one ECC P-256 leaf each (~1 ms to mint).
    const d = await lab.createDevice(`sensor-${String(i).padStart(4, '0')}`, 'x509-group', { keyType: 'ec' });
    devices.push({ registrationId: d.registrationId, auth: d.auth });
  }
  // One fact a line: the quick start is read in an 80-column terminal.
  log(`lab: DPS ${lab.dps.host} at ${lab.dps.address}:${lab.dps.port}`);
  log(`lab: ${n} ECC P-256 devices minted in ${ms(t0)} ms`);
  return {
    devices,
    common: {
      provisioningHost: lab.dps.host,
      idScope: lab.dps.idScope,
      network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer] },
      tls: { ca: lab.caPem },
      port: lab.dps.port,
      wsPort: lab.dps.wsPort,
      timeoutMs: 60_000,
    },
    hub: { port: lab.hub.port, wsPort: lab.hub.wsPort },
    close: async () => {
      log(`lab: ${lab.counters.assigned} assigned, ${lab.counters.telemetry} messages received`);
      await lab.close();
    },
  };
}

/** @param {number} since */
const ms = (since) => Math.round(performance.now() - since);

/**
 * @typedef {{ registrationId: string, ok: boolean, attempts: number, ms: number, detail: string }} Outcome
 * @param {Awaited<ReturnType<typeof fromLab>>} setup
 * @param {{ concurrency: number, rounds: number }} opts
 */
async function provisionAll(setup, opts) {
  const queue = setup.devices.map((d) => ({ device: d, attempts: 0, started: 0 }));
  /** @type {Outcome[]} */
  const outcomes = [];
  // When DPS throttles, every lane waits: hammering a throttled DPS from 20 lanes only earns more 429s.
  let pausedUntil = 0;
  let throttleStreak = 0;
  const lane = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const wait = pausedUntil - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      item.attempts += 1;
      if (!item.started) item.started = performance.now();
      const { registrationId, auth } = item.device;
      try {
        // One endpoint cache for every device: the DPS and hub names are verified once per DNS TTL, not per device.
        const options = { ...setup.common, registrationId, auth, endpointCache };
        const { client, result } = await connectDevice(options, setup.hub);
        throttleStreak = 0;
        try {
          const body = { from: registrationId, via: 'gateway', at: new Date().toISOString() };
          await client.sendEvent(new Message(JSON.stringify(body)));
        } finally {
          await client.close().catch(() => undefined);
        }
        const address = result.dps.addresses.map((a) => a.address).join(',');
        outcomes.push({
          registrationId,
          ok: true,
          attempts: item.attempts,
          ms: ms(item.started),
          detail: `${result.assignedHub} via ${address}`,
        });
      } catch (err) {
        const code = err instanceof DpsPrivateLinkError ? err.code : 'ERROR';
        if (code === 'DPS_THROTTLED' && item.attempts <= opts.rounds) {
          // provisionDevice already honoured retry-after a few times; now the whole gateway backs off and requeues.
          throttleStreak += 1;
          const backoff = Math.min(30_000, 500 * 2 ** Math.min(throttleStreak, 6)) * (0.8 + Math.random() * 0.4);
          pausedUntil = Math.max(pausedUntil, Date.now() + backoff);
          queue.push(item);
          continue;
        }
        const message = /** @type {Error} */ (err).message.split('\n')[0];
        outcomes.push({
          registrationId,
          ok: false,
          attempts: item.attempts,
          ms: ms(item.started),
          detail: `${code}: ${message}`,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, queue.length) }, lane));
  return outcomes;
}

/**
 * @param {Outcome[]} outcomes
 * @param {string} which
 */
function printTable(outcomes, which) {
  const rows = outcomes
    .filter((o) => which === 'all' || !o.ok)
    .sort((a, b) => a.registrationId.localeCompare(b.registrationId));
  if (!rows.length) return;
  const width = Math.max(12, ...rows.map((o) => o.registrationId.length));
  log(`  ${'device'.padEnd(width)}  result  tries      ms  detail`);
  for (const o of rows) {
    const cells = [
      o.registrationId.padEnd(width),
      (o.ok ? 'online' : 'FAILED').padEnd(6),
      String(o.attempts).padStart(5),
    ];
    log(`  ${cells.join('  ')}  ${String(o.ms).padStart(6)}  ${o.detail}`);
  }
}

async function main() {
  let args;
  try {
    args = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`gateway: ${/** @type {Error} */ (err).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    log(`dps-private-link gateway ${require('dps-private-link/package.json').version}`);
    return 0;
  }
  let setup;
  try {
    setup = args.lab
      ? await fromLab(args.devices)
      : fromFiles(args.config ?? process.env.DPS_CONFIG, /** @type {string} */ (args.list));
  } catch (err) {
    if (err instanceof UsageError || (err instanceof DpsPrivateLinkError && err.code === 'ERR_INVALID_OPTION')) {
      process.stderr.write(`gateway: ${/** @type {Error} */ (err).message.split('\n')[0]}\n`);
      return 2;
    }
    throw err;
  }
  try {
    // One look at DNS before N registrations: if the DPS name does not resolve into the VNET, say so once.
    const report = await verifyEndpoint(setup.common.provisioningHost, setup.common.network, { cache: endpointCache });
    const errors = report.findings.filter((f) => f.severity === 'error');
    if (errors.length && setup.common.network.policy !== 'off') {
      for (const f of errors) log(`[error] ${f.code}: ${f.message}\n  fix: ${f.remediation}`);
      log(`not provisioning ${setup.devices.length} devices: ${setup.common.provisioningHost} is not private`);
      return 1;
    }
    const started = performance.now();
    log(`provisioning ${setup.devices.length} devices, ${args.concurrency} at a time`);
    const outcomes = await provisionAll(setup, args);
    const wall = performance.now() - started;
    printTable(outcomes, args.table);
    const online = outcomes.filter((o) => o.ok).length;
    const retried = outcomes.filter((o) => o.attempts > 1).length;
    const rate = (online / (wall / 1000)).toFixed(1);
    log(
      `${online}/${outcomes.length} online in ${Math.round(wall)} ms (${rate} devices/s; ${retried} requeued after 429)`,
    );
    return online === outcomes.length ? 0 : 1;
  } finally {
    await setup.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`gateway: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
