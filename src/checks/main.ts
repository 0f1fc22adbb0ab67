import { readFileSync } from 'node:fs';
import { ENV_PASSPHRASE, ENV_SYMMETRIC_KEY } from '../config/sources';
import { knownSecrets, scrubKnown } from '../redact';
import path from 'node:path';
import { DpsPrivateLinkError } from '../errors';
import { parseCliArgs, USAGE, type CliArgs } from './args';
import { prepare, type Prepared } from './prepare';
import { CHECKS } from './registry';
import { renderCheck, renderSection, renderSummary, toJsonDocument } from './render';
import { writeSupportBundle } from './report';
import { checkReportPath } from './report-path';
import { exitCodeOf, runChecks, summarize, type RunChecksOptions } from './runner';
import type { CheckContext, Section } from './types';
import type { Connector } from '../connection/connector';
import { NotARegularFileError } from '../support/atomic-write';

/** Where dps-check writes, and what it knows about the terminal (seams for tests). */
export interface CliIo {
  /** Where results go; colour and live progress only when `isTTY` is true (and NO_COLOR is unset). */
  stdout: { write(s: string): unknown; isTTY?: boolean };
  /** Where usage errors, unreadable input and a failed --report write are reported, one line each. */
  stderr: { write(s: string): unknown };
  /** The environment to read configuration (DPS_*), the passphrase and NO_COLOR from; usually `process.env`. */
  env: NodeJS.ProcessEnv;
  /** The device clock, for timestamps, clock-skew and certificate-validity checks. Default `() => new Date()`. */
  now?: () => Date;
  /**
   * Advanced (tests, instrumentation): opens every socket of the run — DNS, TCP, TLS, SNTP, `--register`. Default: the
   * package's own connector. A recording one sees each destination.
   */
  connector?: Connector;
}

/** The package version, for the --json document. */
export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/** The default per-step network timeout, ms. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** The environment variables whose values are secrets wherever they turn up (a key pasted into another setting). */
function secretsOf(env: NodeJS.ProcessEnv, passphraseEnv?: string): string[] {
  return [env[ENV_SYMMETRIC_KEY], env[ENV_PASSPHRASE], passphraseEnv ? env[passphraseEnv] : undefined].filter(
    (v): v is string => typeof v === 'string',
  );
}

/**
 * `io` with every write scrubbed of the known secrets: whatever path a mis-pasted key or passphrase takes (a check's
 * detail, an error message, evidence, the JSON document), it never reaches the terminal or a log.
 */
function scrubbedIo(io: CliIo, secrets: () => readonly string[]): CliIo {
  const scrubbed = (text: string): string => scrubKnown(text, knownSecrets(secrets()));
  return {
    ...io,
    stdout: {
      write: (s: string) => io.stdout.write(scrubbed(s)),
      ...(io.stdout.isTTY !== undefined ? { isTTY: io.stdout.isTTY } : {}),
    },
    stderr: { write: (s: string) => io.stderr.write(scrubbed(s)) },
  };
}

/** Parses and prepares the run, or writes the usage error (one line naming the input and the fix) and says 2. */
function parseAndPrepare(
  argv: readonly string[],
  io: CliIo,
  onArgs: (args: CliArgs) => void,
): { args: CliArgs; prepared: Prepared } | number {
  try {
    const args = parseCliArgs(argv);
    onArgs(args);
    if (args.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (args.list) {
      for (const c of CHECKS) io.stdout.write(`${c.id.padEnd(22)} ${c.section.padEnd(16)} ${c.title}\n`);
      return 0;
    }
    // Before any check: an unwritable --report path is found now, not after every network check has run.
    if (args.reportFile !== undefined) checkReportPath(args.reportFile);
    return { args, prepared: prepare(args, io.env) };
  } catch (err) {
    // Bad usage: one line naming the input and the fix, never a stack trace.
    const message =
      err instanceof DpsPrivateLinkError
        ? err.message
        : `unexpected problem with the input: ${(err as Error)?.message ?? String(err)}`;
    io.stderr.write(`dps-check: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 2;
  }
}

/** The context of one run: the prepared configuration and identity, and the settings from the flags. */
function contextOf(args: CliArgs, prepared: Prepared, io: CliIo, now: () => Date): CheckContext {
  return {
    loaded: prepared.loaded,
    config: prepared.loaded.config,
    ...(prepared.identity ? { identity: prepared.identity } : {}),
    settings: {
      register: args.register,
      compareSystem: args.compareSystem,
      env: io.env,
      timeoutMs: args.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      now,
      ...(args.ntpServer ? { ntpServer: args.ntpServer } : {}),
      ...(args.hubWsPort !== undefined ? { hubWsPort: args.hubWsPort } : {}),
      ...(io.connector ? { connector: io.connector } : {}),
    },
    state: {},
  };
}

/** --dont-run, and the text output as checks finish: a heading per section, a line per check; on a TTY, progress. */
function runOptions(args: CliArgs, io: CliIo): RunChecksOptions {
  const colour = !args.json && !args.noColor && io.stdout.isTTY === true && !io.env['NO_COLOR'];
  const progress = !args.json && io.stdout.isTTY === true;
  let section: Section | undefined;
  let progressShown = false;
  return {
    dontRun: args.dontRun,
    onStart: (c) => {
      if (!progress) return;
      io.stdout.write(`  … ${c.id}\r`);
      progressShown = true;
    },
    onResult: (r) => {
      if (args.json) return;
      if (progressShown) io.stdout.write('\x1b[2K'); // erase the progress line before the result replaces it
      progressShown = false;
      if (r.section !== section) {
        section = r.section;
        io.stdout.write(`${renderSection(r.section)}\n`);
      }
      io.stdout.write(`${renderCheck(r, { colour, verbose: args.verbose })}\n`);
    },
  };
}

/**
 * Runs dps-check with `argv` (without `node` and the script) and returns the exit status:
 * 0 no error, 1 any error (or warning with --warnings-as-errors), 2 bad usage / unreadable input.
 */
export async function dpsCheck(argv: readonly string[], rawIo: CliIo): Promise<number> {
  let secrets = secretsOf(rawIo.env);
  const io = scrubbedIo(rawIo, () => secrets);
  const parsed = parseAndPrepare(argv, io, (a) => (secrets = secretsOf(rawIo.env, a.passphraseEnv)));
  if (typeof parsed === 'number') return parsed;
  const { args, prepared } = parsed;
  const now = io.now ?? (() => new Date());
  const startedAt = now();
  const ctx = contextOf(args, prepared, io, now);
  if (!args.json) io.stdout.write(`dps-check ${toolVersion()}: ${ctx.config.provisioningHost}\n`);
  const reports = await runChecks(CHECKS, ctx, runOptions(args, io));
  const summary = summarize(reports);
  const doc = toJsonDocument(toolVersion(), reports, summary, secrets);
  if (args.json) io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else io.stdout.write(`\n${renderSummary(summary)}\n`);
  if (args.reportFile) {
    try {
      writeSupportBundle(args.reportFile, doc, prepared.loaded, startedAt, io.env);
      if (!args.json) io.stdout.write(`support bundle written to ${args.reportFile} (secrets redacted)\n`);
    } catch (err) {
      // A device node, FIFO, socket or directory at the path is refused (never replaced): say what is there.
      const why =
        err instanceof NotARegularFileError
          ? `it is ${err.kind}, not a regular file, and is left as it is`
          : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      io.stderr.write(
        `dps-check: cannot write --report ${args.reportFile}: ${why}. Pass the path of a regular file to create or replace.\n`,
      );
      return 2;
    }
  }
  return exitCodeOf(summary, args.warningsAsErrors);
}
