import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

/**
 * The Azure SDK's provisioning packages are ~40 modules (a quarter of the package's start-up): they load with the
 * first registration. An app that imports the package and boots from its cached assignment never loads them.
 */
describe('provision: the SDK loads with the first registration, not with the package', () => {
  it('requiring the package root loads no azure-iot module', async () => {
    const script =
      "require('./src/index.ts');" +
      'const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/]azure-iot-/.test(f));' +
      'process.stdout.write(JSON.stringify(loaded.map((f) => f.replace(/.*node_modules[\\\\/]/, ""))));';
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, timeout: 30_000 });
    assert.deepEqual(JSON.parse(stdout) as string[], []);
  });
});
