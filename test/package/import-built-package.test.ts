import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist');

// A consumer app in a temp dir with node_modules/dps-private-link → this package, so resolution goes through
// package.json "exports" exactly as for an installed copy. Uses only an IP literal: nothing is resolved or sent.
const CALL = `verifyEndpoint('10.1.2.4', { expectedCidrs: ['10.1.0.0/16'] }).then((r) => console.log(JSON.stringify({ verdict: r.verdict, codes: r.findings.map((f) => f.code), catalogue: Object.keys(findingCatalogue).length })))`;

describe('the built package (dist/) imported by an app', function () {
  let app: string;
  before(async function () {
    if (!existsSync(path.join(DIST, 'index.js')))
      throw new Error(`dist/index.js is missing: run \`npm run build\` (npm test does) first`);
    app = await mkdtemp(path.join(os.tmpdir(), 'dpl-consumer-'));
    await mkdir(path.join(app, 'node_modules'));
    await symlink(ROOT, path.join(app, 'node_modules', 'dps-private-link'), 'dir');
  });
  after(async () => {
    if (app) await rm(app, { recursive: true, force: true });
  });

  const expectOutput = (stdout: string): void => {
    const out = JSON.parse(stdout.trim()) as { verdict: string; codes: string[]; catalogue: number };
    assert.equal(out.verdict, 'private-in-vnet');
    assert.deepEqual(out.codes, ['ENDPOINT_IS_IP_ADDRESS']);
    assert.ok(out.catalogue >= 13);
  };

  it('works from CommonJS (require)', async () => {
    const file = path.join(app, 'app.cjs');
    await writeFile(file, `const { verifyEndpoint, findingCatalogue } = require('dps-private-link');\n${CALL};\n`);
    const { stdout } = await run(process.execPath, [file], { cwd: app });
    expectOutput(stdout);
  });

  it('works from an ES module (import, named exports)', async () => {
    const file = path.join(app, 'app.mjs');
    await writeFile(file, `import { verifyEndpoint, findingCatalogue } from 'dps-private-link';\n${CALL};\n`);
    const { stdout } = await run(process.execPath, [file], { cwd: app });
    expectOutput(stdout);
  });

  it('ships type declarations for the public API', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      types: string;
      exports: { '.': { types: string } };
    };
    const dts = path.join(ROOT, pkg.exports['.'].types);
    assert.equal(path.resolve(ROOT, pkg.types), dts);
    const text = await readFile(dts, 'utf8');
    for (const name of ['verifyEndpoint', 'connectableAddresses', 'EndpointReport', 'NetworkOptions', 'Finding']) {
      assert.match(text, new RegExp(`\\b${name}\\b`), `${name} is declared in ${path.relative(ROOT, dts)}`);
    }
    assert.ok(existsSync(path.join(DIST, 'endpoint', 'verify.d.ts')));
  });

  it('type-checks a strict TypeScript consumer, ESM and CommonJS, against the shipped .d.ts', async function () {
    this.timeout(60_000);
    const consumer = (imp: string): string =>
      `${imp}\nconst network: NetworkOptions = { expectedCidrs: ['10.1.0.0/16'] };\n` +
      `export const p: Promise<EndpointReport> = verifyEndpoint('x.azure-devices-provisioning.net', network);\n` +
      `export const v: Verdict | undefined = undefined;\n`;
    await writeFile(
      path.join(app, 'typed.mts'),
      consumer(
        `import { verifyEndpoint, type EndpointReport, type NetworkOptions, type Verdict } from 'dps-private-link';`,
      ),
    );
    await writeFile(
      path.join(app, 'typed.cts'),
      consumer(
        `import { verifyEndpoint, type EndpointReport, type NetworkOptions, type Verdict } from 'dps-private-link';`,
      ),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'node16',
        '--moduleResolution',
        'node16',
        '--types',
        'node',
        '--typeRoots',
        path.join(ROOT, 'node_modules', '@types'),
        'typed.mts',
        'typed.cts',
      ],
      { cwd: app },
    ).catch((err: { stdout?: string }) => {
      throw new Error(`tsc failed on the consumer:\n${err.stdout ?? String(err)}`);
    });
  });

  it('has an entry point per audience: device API at the root, /diagnostics and /lab as subpaths', async () => {
    const file = path.join(app, 'entries.cjs');
    await writeFile(
      file,
      `const root = require('dps-private-link');\n` +
        `const diagnostics = require('dps-private-link/diagnostics');\n` +
        `const lab = require('dps-private-link/lab');\n` +
        `const pick = (m) => Object.keys(m).filter((k) => typeof m[k] === 'function').sort();\n` +
        `console.log(JSON.stringify({ root: pick(root), diagnostics: pick(diagnostics), lab: pick(lab),\n` +
        `  same: root.probeTls === diagnostics.probeTls && root.LabListenError === lab.LabListenError }));\n`,
    );
    const { stdout } = await run(process.execPath, [file], { cwd: app });
    const out = JSON.parse(stdout.trim()) as Record<'root' | 'diagnostics' | 'lab', string[]> & { same: boolean };
    for (const name of ['provisionDevice', 'connectDevice', 'createHubClient', 'openHubClient', 'verifyEndpoint']) {
      assert.ok(out.root.includes(name), `root exports ${name}`);
    }
    for (const name of ['probeTls', 'dpsCheck', 'loadConfig', 'loadDeviceIdentity']) {
      assert.ok(out.diagnostics.includes(name), `diagnostics exports ${name}`);
      assert.ok(out.root.includes(name), `the root still re-exports ${name}`);
    }
    assert.ok(out.lab.includes('startLab') && out.root.includes('startLab'));
    assert.ok(!out.diagnostics.includes('provisionDevice') && !out.lab.includes('provisionDevice'));
    assert.equal(out.same, true, 'a re-exported name is the same object as the subpath one');
  });
});
