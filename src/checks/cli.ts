#!/usr/bin/env node
// dps-check: field diagnostics for a device that will not provision through DPS over a private endpoint.
// First: narrows DEBUG to dps-private-link:* before `debug` is loaded by anything below.
import './debug-scope';
import { dpsCheck } from './main';

// `dps-check ... | head` closes the pipe early: stop quietly instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

runDpsCheck(process.argv.slice(2));

function runDpsCheck(args: string[]): void {
  void dpsCheck(args, { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // runChecks turns check failures into results; reaching this is a bug in dps-check itself.
      process.stderr.write(`dps-check: internal error: ${(err as Error)?.message ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
