// The README's scenario table is the scenario table: one row per LAB_SCENARIOS entry, with its checks and codes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LAB_SCENARIOS, type LabScenario } from '../../src/lab/index';

/** The README row of one scenario, as the table in "The local private lab" section writes it. */
function row(s: LabScenario): string {
  const checks = Object.entries(s.expect.checks)
    .map(([id, result]) => `\`${id}\`${result === 'warning' ? ' (warning)' : ''}`)
    .join(', ');
  return `| \`${s.name}\` | ${s.summary} | ${checks} | ${s.expect.codes.map((c) => `\`${c}\``).join(', ')} |`;
}

describe('README scenario table', () => {
  it('has one row per scenario, in table order, with the checks and codes dps-check reports', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const header = '| scenario | what it stages | dps-check fails (or warns) | codes |';
    assert.ok(readme.includes(header), 'the table is in the README');
    const table = readme.slice(readme.indexOf(header)).split('\n\n')[0] ?? '';
    assert.deepEqual(table.split('\n').slice(2), LAB_SCENARIOS.map(row));
  });
});
