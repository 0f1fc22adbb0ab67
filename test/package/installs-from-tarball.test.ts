// The packed tarball, installed into a fresh app offline, is what a user gets: its contents are clean, all three entry
// points load from CommonJS and ESM, a strict TypeScript consumer type-checks against the shipped .d.ts, and every bin
// answers --version and --help. Nothing here touches the network (npm install --offline, IP literals only).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, packedApp, ROOT, type PackedApp } from './packed-app';

const run = promisify(execFile);

describe('the packed tarball installed into a fresh app (offline)', function () {
  this.timeout(120_000);
  let app: PackedApp;
  before(async () => {
    app = await packedApp();
    const kB = (n: number): string => `${(n / 1024).toFixed(1)} kB`;
    console.log(
      `      tarball ${app.pack.filename}: ${kB(app.pack.size)}, ${app.pack.entryCount} files, unpacked ` +
        kB(app.pack.unpackedSize),
    );
  });

  it('ships LICENSE, README, package.json, dist with declarations and the device samples, and nothing else', () => {
    const files = app.pack.files.map((f) => f.path);
    for (const f of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/diagnostics.d.ts',
      'dist/lab/index.d.ts',
      'dist/lab/certs-cli.js',
      'samples/raspberry-pi/app.js',
      'samples/raspberry-pi/device.example.json',
      'samples/raspberry-pi/dps-private-link.service',
      'samples/raspberry-pi/install.sh',
      'samples/raspberry-pi/README.md',
      'samples/gateway/gateway.js',
    ])
      assert.ok(files.includes(f), `${f} is in the tarball`);
    const stray = files.filter(
      (f) =>
        f.endsWith('.map') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        /^(src|test|bench|scripts|coverage|node_modules)\//.test(f) ||
        f.startsWith('dist/demo.'),
    );
    assert.deepEqual(stray, [], 'no source maps (src/ does not ship), no sources, tests or the repo demo');
    for (const f of files.filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(path.join(app.pkgDir, f), 'utf8');
      assert.doesNotMatch(text, /sourceMappingURL/, `${f} points at no source map`);
      assert.doesNotMatch(text, /require\(['"]\.\.\/\.\.\/src/, `${f} does not reach into a clone's src/`);
    }
    const pkg = JSON.parse(readFileSync(path.join(app.pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    for (const field of ['repository', 'homepage', 'bugs', 'license']) assert.ok(pkg[field], `package.json ${field}`);
  });

  it('loads every entry point from CommonJS and from an ES module', async () => {
    const cjs = path.join(app.dir, 'entries.cjs');
    writeFileSync(
      cjs,
      `const root = require('dps-private-link');\n` +
        `const diagnostics = require('dps-private-link/diagnostics');\n` +
        `const lab = require('dps-private-link/lab');\n` +
        `root.verifyEndpoint('10.1.2.4', { expectedCidrs: ['10.1.0.0/16'] }).then((r) => console.log(JSON.stringify({\n` +
        `  verdict: r.verdict, connect: typeof root.connectDevice, check: typeof diagnostics.dpsCheck,\n` +
        `  lab: typeof lab.startLab })));\n`,
    );
    const mjs = path.join(app.dir, 'entries.mjs');
    writeFileSync(
      mjs,
      `import { connectDevice, provisionDevice } from 'dps-private-link';\n` +
        `import { dpsCheck, loadConfig } from 'dps-private-link/diagnostics';\n` +
        `import { startLab } from 'dps-private-link/lab';\n` +
        `console.log([connectDevice, provisionDevice, dpsCheck, loadConfig, startLab].map((f) => typeof f).join());\n`,
    );
    const a = await run(process.execPath, [cjs], { cwd: app.dir, env: cleanEnv() });
    assert.deepEqual(JSON.parse(a.stdout), {
      verdict: 'private-in-vnet',
      connect: 'function',
      check: 'function',
      lab: 'function',
    });
    const b = await run(process.execPath, [mjs], { cwd: app.dir, env: cleanEnv() });
    assert.equal(b.stdout.trim(), 'function,function,function,function,function');
  });

  it('type-checks a strict TypeScript consumer of all three entry points against the shipped .d.ts', async () => {
    writeFileSync(
      path.join(app.dir, 'consumer.mts'),
      [
        `import { connectDevice, verifyEndpoint, type ProvisionOptions, type EndpointReport } from 'dps-private-link';`,
        `import { loadConfig, type LoadedConfig } from 'dps-private-link/diagnostics';`,
        `import { startLab, type LabHandle } from 'dps-private-link/lab';`,
        `const options: ProvisionOptions = {`,
        `  provisioningHost: 'x.azure-devices-provisioning.net', idScope: '0ne0000000A', registrationId: 'pi-1',`,
        `  auth: { symmetricKey: 'a2V5' }, network: { expectedCidrs: ['10.1.0.0/16'], policy: 'enforce' },`,
        `};`,
        `export const connect = (): Promise<string> => connectDevice(options).then(({ result }) => result.assignedHub);`,
        `export const report: Promise<EndpointReport> = verifyEndpoint('10.1.2.4', options.network);`,
        `export const loaded: LoadedConfig = loadConfig({ env: {} });`,
        `export const lab = (): Promise<LabHandle> => startLab({ mqttPort: 0 });`,
        '',
      ].join('\n'),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node'];
    await run(
      process.execPath,
      [tsc, ...args, '--typeRoots', path.join(ROOT, 'node_modules', '@types'), 'consumer.mts'],
      { cwd: app.dir, env: cleanEnv() },
    ).catch((err: { stdout?: string }) => {
      throw new Error(`tsc failed on the consumer:\n${err.stdout ?? String(err)}`);
    });
  });

  for (const bin of ['dps-check', 'dps-lab', 'dps-certs']) {
    it(`${bin} answers --version with the package version and --help with its usage`, async () => {
      const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
      const v = await run(app.bin(bin), ['--version'], { cwd: app.dir, env: cleanEnv() });
      assert.equal(v.stdout, `${bin} ${version}\n`);
      const h = await run(app.bin(bin), ['--help'], { cwd: app.dir, env: cleanEnv() });
      assert.match(h.stdout, new RegExp(`^Usage: ${bin}`));
      for (const line of h.stdout.split('\n')) {
        const ref = /samples\/[\w./-]+/.exec(line)?.[0];
        if (ref)
          assert.ok(
            app.pack.files.some((f) => f.path === ref),
            `--help cites ${ref}, which ships`,
          );
      }
    });
  }
});
