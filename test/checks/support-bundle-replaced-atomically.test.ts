import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadedConfig } from '../../src/config/types';
import { toJsonDocument } from '../../src/checks/render';
import { writeSupportBundle } from '../../src/checks/report';

const loaded: LoadedConfig = { config: {} as LoadedConfig['config'], sources: {} };
const doc = toJsonDocument('0.0.0', [], { ok: 0, warnings: 0, errors: 0, skipped: 0 } as never);

/** --report writes a new 0600 file and renames it into place: it never writes through what is already at the path. */
describe('dps-check --report replaces the bundle file, never writes through it', () => {
  it('a symlink at the report path is replaced by the bundle; the file it pointed to keeps its content and mode', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bundle-link-'));
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched', { mode: 0o644 });
    const file = path.join(dir, 'report.json');
    symlinkSync(victim, file);
    writeSupportBundle(file, doc, loaded, new Date(), {});
    assert.equal(readFileSync(victim, 'utf8'), 'untouched');
    assert.equal(statSync(victim).mode & 0o777, 0o644);
    assert.ok(lstatSync(file).isFile(), 'the link itself was replaced by a regular file');
    assert.equal(lstatSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /"generatedAt"/);
    assert.deepEqual(readdirSync(dir).sort(), ['report.json', 'victim.txt'], 'no temporary file is left behind');
  });

  it('an unwritable target (a directory) throws the fs error and leaves no temporary file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bundle-dir-'));
    const file = path.join(dir, 'report.json');
    mkdirSync(file);
    assert.throws(
      () => writeSupportBundle(file, doc, loaded, new Date(), {}),
      (err: NodeJS.ErrnoException) =>
        ['ERR_NOT_REGULAR_FILE', 'EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(err.code ?? ''),
    );
    assert.deepEqual(readdirSync(dir), ['report.json']);
  });
});
