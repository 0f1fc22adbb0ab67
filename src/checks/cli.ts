#!/usr/bin/env node
// dps-check: field diagnostics for a device that will not provision through DPS over a private endpoint.
import { dpsCheck } from './main';

dpsCheck(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // runChecks turns check failures into results; reaching this is a bug in dps-check itself.
    process.stderr.write(`dps-check: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
