'use strict';
// The device side of every client benchmark, as plain CommonJS run by `node` (no tsx, no TypeScript loader): a fresh
// process then costs what a user's process costs. Side A ('ours') requires dist/ only; side B ('plain') requires only
// the SDK packages the same flow needs, written the way the SDK's own samples are. Each side loads nothing of the
// other. Both run with the same environment: NODE_EXTRA_CA_CERTS = the lab CA (B trusts it that way, A is also given
// it as tls.ca) and --require bench/lib/lab-resolver.js (B resolves names through the lab DNS with it and
// can dial nothing but loopback; A resolves through network.dnsServers, the same server).
//
//   node device-worker.js <mode> <ours|plain> [args]     the lab case comes from the file named by DPL_BENCH_CASE
//   modes: overhead PAIRS WARMUP (both sides, alternating, in this one process; prints times, CPU and progress)
//          reboot [cachePath]  (one start: provision, open the hub client, first telemetry accepted; prints its time)
//          once                (provision once; prints peak RSS)
//          gateway TOTAL CONCURRENCY (registrations over the case's devices; prints wall time and peak RSS)
// The last stdout line is the JSON result.
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const labCase = JSON.parse(fs.readFileSync(process.env.DPL_BENCH_CASE, 'utf8'));
const dist = path.join(__dirname, '..', '..', 'dist', 'index.js');

function oursOptions(device, extra) {
  return {
    provisioningHost: labCase.host,
    idScope: labCase.idScope,
    registrationId: device.registrationId,
    auth: device.auth,
    network: { expectedCidrs: labCase.vnetCidrs, dnsServers: [labCase.dnsServer] },
    tls: { ca: labCase.caPem },
    port: labCase.port,
    timeoutMs: 60_000,
    ...extra,
  };
}

function plainSecurity(device) {
  if (device.auth.symmetricKey) {
    const { SymmetricKeySecurityClient } = require('azure-iot-security-symmetric-key');
    return new SymmetricKeySecurityClient(device.registrationId, device.auth.symmetricKey);
  }
  const { X509Security } = require('azure-iot-security-x509');
  return new X509Security(device.registrationId, { cert: device.auth.cert, key: device.auth.key });
}

function plainRegister(device) {
  const { ProvisioningDeviceClient } = require('azure-iot-provisioning-device');
  const { Mqtt } = require('azure-iot-provisioning-device-mqtt');
  return ProvisioningDeviceClient.create(labCase.host, labCase.idScope, new Mqtt(), plainSecurity(device)).register();
}

function oursProvision(device, extra) {
  return require(dist).provisionDevice(oursOptions(device, extra));
}

const output = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function overhead(pairs, warmup) {
  const device = labCase.devices[0];
  const marks = [];
  let t0 = 0;
  // Our own clock rather than the event's elapsedMs, which is rounded to whole milliseconds.
  const onProgress = (e) => marks.push([e.step, performance.now() - t0]);
  const once = async (side) => {
    marks.length = 0;
    const c0 = cpuMs();
    t0 = performance.now();
    if (side === 'ours') await oursProvision(device, { onProgress });
    else await plainRegister(device);
    return { ms: performance.now() - t0, cpu: cpuMs() - c0, marks: side === 'ours' ? [...marks] : undefined };
  };
  for (let i = 0; i < warmup; i++) {
    await once('ours');
    await once('plain');
  }
  const a = [];
  const b = [];
  for (let i = 0; i < pairs; i++) {
    a.push(await once('ours'));
    b.push(await once('plain'));
  }
  output({ a, b });
}

async function reboot(side, cachePath) {
  const device = labCase.devices[0];
  const { Message } = require('azure-iot-device');
  let client;
  if (side === 'ours') {
    ({ client } = await require(dist).connectDevice(
      oursOptions(device, cachePath ? { cache: { path: cachePath } } : {}),
    ));
  } else {
    const { Client } = require('azure-iot-device');
    const { Mqtt } = require('azure-iot-device-mqtt');
    const result = await plainRegister(device);
    const x509 = device.auth.cert ? ';x509=true' : `;SharedAccessKey=${device.auth.symmetricKey}`;
    client = Client.fromConnectionString(`HostName=${result.assignedHub};DeviceId=${result.deviceId}${x509}`, Mqtt);
    if (device.auth.cert) client.setOptions({ cert: device.auth.cert, key: device.auth.key });
    await client.open();
  }
  await client.sendEvent(new Message(JSON.stringify({ boot: true })));
  const ms = performance.now();
  await client.close();
  output({ ms });
}

async function once(side) {
  const device = labCase.devices[0];
  if (side === 'ours') await oursProvision(device, {});
  else await plainRegister(device);
  output({ maxRssKb: process.resourceUsage().maxRSS });
}

async function gateway(side, total, concurrency) {
  const devices = labCase.devices;
  const extra = side === 'ours' ? { endpointCache: require(dist).createEndpointCache() } : {};
  let next = 0;
  let ok = 0;
  const errors = [];
  const t0 = performance.now();
  const c0 = cpuMs();
  const lane = async () => {
    while (next < total) {
      const device = devices[next++ % devices.length];
      try {
        if (side === 'ours') await oursProvision(device, extra);
        else await plainRegister(device);
        ok++;
      } catch (err) {
        if (errors.length < 3) errors.push(String(err && err.code ? `${err.code}: ${err.message}` : err));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  output({
    ok,
    failed: total - ok,
    errors,
    wallMs: performance.now() - t0,
    cpuMs: cpuMs() - c0,
    maxRssKb: process.resourceUsage().maxRSS,
  });
}

const [mode, side, ...args] = process.argv.slice(2);
const run =
  mode === 'overhead'
    ? overhead(Number(side), Number(args[0]))
    : mode === 'reboot'
      ? reboot(side, args[0])
      : mode === 'once'
        ? once(side)
        : mode === 'gateway'
          ? gateway(side, Number(args[0]), Number(args[1]))
          : Promise.reject(new Error(`unknown mode ${mode}`));
run.then(
  () => process.exit(0),
  (err) => {
    console.error(err && err.code ? `${err.code}: ${err.message}` : err);
    process.exit(1);
  },
);
