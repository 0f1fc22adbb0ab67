'use strict';
// Mocha's spec reporter, plus one plain closing line — "N passed, N failed, N skipped" — that CI tooling reads.
// The line goes to the file named by DPL_TEST_SUMMARY so test/run.sh can print it after c8's coverage table.
const fs = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      const line = `tests: ${passes} passed, ${failures} failed, ${pending} skipped\n`;
      if (process.env.DPL_TEST_SUMMARY) fs.writeFileSync(process.env.DPL_TEST_SUMMARY, line);
      else process.stdout.write(line);
    });
  }
}

module.exports = SummaryReporter;
