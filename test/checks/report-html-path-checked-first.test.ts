// An unwritable --report path is found before the checks run: exit 2 with one line naming the path and the fix, and
// not one socket opened (the recording connector sees every DNS query and connection of the run).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { dpsCheck } from '../../src/checks/main';
import { reportFormatOf } from '../../src/checks/report-path';
import { recordingConnector } from '../support/recording-connector';
import { put, tempDir } from './fixtures';

const dir = tempDir('report-path-');
const aFile = put(dir, 'plain.txt', 'not a directory');
mkdirSync(path.join(dir, 'a-directory.html'));

/** Nothing listens on 127.0.0.1:9 (discard): were the checks to run, dps-dns would send its query there. */
const BASE = ['--host', 'lab-dps.azure-devices-provisioning.net', '--id-scope', '0ne00000A1B'];
const NETWORK = ['--dns-server', '127.0.0.1:9', '--expect-cidr', '127.10.0.0/16', '--timeout-ms', '500'];

async function run(report: string): Promise<{ code: number; stdout: string; stderr: string; sockets: string[] }> {
  const rec = recordingConnector();
  let stdout = '';
  let stderr = '';
  const code = await dpsCheck([...BASE, ...NETWORK, '--report', report], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    connector: rec.connector,
  });
  return { code, stdout, stderr, sockets: rec.calls };
}

describe('dps-check --report: an unwritable path is refused before any check runs', function () {
  this.timeout(60_000);
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [what, file, why] of [
    ['a directory that does not exist', path.join(dir, 'missing', 'report.html'), /ENOENT/],
    ['a path under a regular file', path.join(aFile, 'report.html'), /ENOTDIR|is not a directory/],
    ['a directory at the path', path.join(dir, 'a-directory.html'), /it is a directory, not a regular file/],
    ['a character device (/dev/null)', '/dev/null', /it is a character device, not a regular file/],
  ] as const) {
    it(`${what}: exit 2, one line naming the path and the fix, no socket, nothing written`, async () => {
      const before = readdirSync(dir).sort();
      const r = await run(file);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.deepEqual(r.sockets, [], 'no DNS query or connection before the path is known to be writable');
      assert.equal(r.stdout, '', 'no check ran');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]?.startsWith(`dps-check: Invalid --report: cannot write --report ${file}: `), r.stderr);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /Pass --report the path of a regular file in a directory you can write/);
      assert.deepEqual(readdirSync(dir).sort(), before);
    });
  }

  it('a writable path: the checks run (the DNS check does send its query) and the page is written', async () => {
    const file = path.join(dir, 'ok.html');
    const r = await run(file);
    assert.equal(r.code, 1, r.stdout + r.stderr); // the DNS server at 127.0.0.1:9 does not answer
    assert.ok(
      r.sockets.some((s) => s.startsWith('udp ')),
      `the run reached the network: ${r.sockets.join(', ')}`,
    );
    assert.ok(existsSync(file));
  });

  it('the format follows the extension: .html and .htm are pages, .json and anything else the JSON bundle', () => {
    assert.equal(reportFormatOf('/tmp/r.html'), 'html');
    assert.equal(reportFormatOf('/tmp/R.HTM'), 'html');
    assert.equal(reportFormatOf('/tmp/r.json'), 'json');
    assert.equal(reportFormatOf('/tmp/report'), 'json');
    assert.equal(reportFormatOf('/tmp/r.html.json'), 'json');
  });
});
