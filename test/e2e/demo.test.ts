import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('e2e: the npm start demo', function () {
  this.timeout(30_000);
  it('runs the whole flow on the lab in a few seconds and exits 0', async () => {
    const started = Date.now();
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'demo.ts')],
      { timeout: 25_000 },
    );
    const took = Date.now() - started;
    for (const step of ['resolving', 'verified', 'connecting', 'tls', 'registering', 'assigned', 'hub-verified'])
      assert.match(stdout, new RegExp(`\\b${step}\\b`));
    assert.match(stdout, /the hub received 1 message/);
    assert.match(stdout, /refused before connecting: DNS_PRIVATELINK_NOT_PRIVATE \(connections made: 0\)/);
    assert.match(stdout, /done: everything closed/);
    assert.deepEqual(
      stdout.split('\n').filter((l) => l.length > 80),
      [],
      'npm start reads at 80 columns',
    );
    assert.ok(took < 15_000, `took ${took} ms`);
  });
});
