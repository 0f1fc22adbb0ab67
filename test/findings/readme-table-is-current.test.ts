// The README's findings table is generated from the catalogue; this keeps it from drifting when a code is added.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

describe('findings: the README table matches the catalogue', () => {
  it('is what scripts/findings-table.ts prints (regenerate with `npx tsx scripts/findings-table.ts --write`)', () => {
    const printed = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/findings-table.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('<!-- findings-table:start');
    const end = readme.indexOf('<!-- findings-table:end -->');
    assert.ok(start >= 0 && end > start, 'README.md has the findings-table markers');
    const inReadme = readme.slice(readme.indexOf('\n', start) + 1, end).trim();
    assert.equal(inReadme, printed);
  });
});
