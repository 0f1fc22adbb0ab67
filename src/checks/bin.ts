#!/usr/bin/env node
// The dps-check bin (built to dist/checks/cli.js): a small loader that runs the bundled program (dps-check.js, built
// from cli.ts) with the code cache the build wrote beside it, so a pass does not spend its start compiling.
import path from 'node:path';
import { runProgram } from './code-cache';

runProgram(path.join(__dirname, 'dps-check.js'));
