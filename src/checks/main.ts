import { existsSync, readFileSync } from 'node:fs';
import { ENV_CONFIG_FILE, ENV_OF, ENV_PASSPHRASE, ENV_SYMMETRIC_KEY } from '../config/sources';
import { knownSecrets, scrubKnown } from '../redact';
import path from 'node:path';
import { DpsPrivateLinkError } from '../errors';
import { wrapLines } from '../findings/render';
import { adviseReport } from './advice';
import { DEFAULT_CONFIG_FILE, parseCliArgs, USAGE, wantsJson, type CliArgs } from './args';
import { prepare, type Prepared } from './prepare';
import { CHECKS } from './registry';
import { startProgress, type Progress } from './progress';
import {
  outputWidth,
  renderCheck,
  renderSection,
  renderSummary,
  toJsonDocument,
  type JsonDocument,
  type TextOptions,
} from './render';
import { writeSupportBundle } from './report';
import { checkReportPath } from './report-path';
import { exitCodeOf, runChecks, summarize, type RunChecksOptions } from './runner';
import type { Check, CheckContext, CheckReport, Section } from './types';
import type { Connector } from '../connection/connector';
import { NotARegularFileError } from '../support/atomic-write';

/** Where dps-check writes, and what it knows about the terminal (seams for tests). */
export interface CliIo {
  /**
   * Where results go; colour only when `isTTY` is true (and NO_COLOR is unset). Text wraps to COLUMNS, else to
   * `columns` on a TTY, else to 80.
   */
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Where usage errors, unreadable input and a failed --report write are reported, one line each. */
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** The environment to read configuration (DPS_*), the passphrase and NO_COLOR from; usually `process.env`. */
  env: NodeJS.ProcessEnv;
  /** The device clock, for timestamps, clock-skew and certificate-validity checks. Default `() => new Date()`. */
  now?: () => Date;
  /**
   * Advanced (tests, instrumentation): opens every socket of the run — DNS, TCP, TLS, SNTP, `--register`. Default: the
   * package's own connector. A recording one sees each destination.
   */
  connector?: Connector;
  /** Advanced (tests): the config file read when neither --config nor DPS_CONFIG names one. */
  defaultConfigFile?: string;
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
      ...(io.stdout.columns !== undefined ? { columns: io.stdout.columns } : {}),
    },
    stderr: {
      write: (s: string) => io.stderr.write(scrubbed(s)),
      ...(io.stderr.isTTY !== undefined ? { isTTY: io.stderr.isTTY } : {}),
    },
  };
}

/** The one-line form of a usage error: the input and the fix, never a stack trace. */
function usageMessage(err: unknown): string {
  const message =
    err instanceof DpsPrivateLinkError
      ? err.message
      : `unexpected problem with the input: ${(err as Error)?.message ?? String(err)}`;
  return message.replace(/\s*\n\s*/g, ' ');
}

/** A usage error: one line on stderr; under --json / --output json* also a JSON document on stdout. Exit 2. */
function usageError(err: unknown, argv: readonly string[], io: CliIo): number {
  const message = usageMessage(err);
  io.stderr.write(`dps-check: ${message}\n`);
  if (wantsJson(argv)) {
    const e = err as { code?: unknown; option?: unknown };
    const error = {
      code: typeof e.code === 'string' ? e.code : 'ERR_INVALID_OPTION',
      ...(typeof e.option === 'string' ? { option: e.option } : {}),
      message,
    };
    io.stdout.write(`${JSON.stringify({ version: toolVersion(), error, exitCode: 2 })}\n`);
  }
  return 2;
}

/** --list: the checks in run order, as a table or (with --json) as JSON. */
function listChecks(args: CliArgs, io: CliIo): number {
  if (args.json) {
    const checks = CHECKS.map((c) => ({ id: c.id, section: c.section, title: c.title, dependsOn: c.dependsOn ?? [] }));
    io.stdout.write(`${JSON.stringify({ version: toolVersion(), checks }, null, 2)}\n`);
  } else {
    // Columns as wide as their longest entry; the title wraps within 80 columns, under itself.
    const idWidth = Math.max(...CHECKS.map((c) => c.id.length)) + 2;
    const sectionWidth = Math.max(...CHECKS.map((c) => c.section.length)) + 2;
    for (const c of CHECKS) {
      const first = `${c.id.padEnd(idWidth)}${c.section.padEnd(sectionWidth)}`;
      io.stdout.write(`${wrapLines(c.title, first, ' '.repeat(first.length), 80).join('\n')}\n`);
    }
  }
  return 0;
}

/** A bare `dps-check` with nothing to check: no flags, no DPS_* setting and no default config file. */
function nothingToCheck(argv: readonly string[], io: CliIo): boolean {
  const file = io.defaultConfigFile ?? DEFAULT_CONFIG_FILE;
  const configured = [ENV_CONFIG_FILE, ...Object.values(ENV_OF)].some((name) => io.env[name]);
  return argv.length === 0 && !configured && !existsSync(file);
}

/** Parses and prepares the run, or answers --help, --version, --list or bad usage and says the exit status. */
function parseAndPrepare(
  argv: readonly string[],
  io: CliIo,
  onArgs: (args: CliArgs) => void,
): { args: CliArgs; prepared: Prepared } | number {
  if (nothingToCheck(argv, io)) {
    const file = io.defaultConfigFile ?? DEFAULT_CONFIG_FILE;
    io.stderr.write(
      `${USAGE}\ndps-check: nothing to check: ${file} does not exist. ` +
        'Pass --config FILE, or --host and --expect-cidr.\n',
    );
    return 2;
  }
  try {
    const args = parseCliArgs(argv);
    onArgs(args);
    if (args.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (args.version) {
      io.stdout.write(args.json ? `${JSON.stringify({ version: toolVersion() })}\n` : `dps-check ${toolVersion()}\n`);
      return 0;
    }
    if (args.list) return listChecks(args, io);
    // Before any check: an unwritable --report path is found now, not after every network check has run.
    if (args.reportFile !== undefined) checkReportPath(args.reportFile);
    const options = io.defaultConfigFile ? { defaultConfigFile: io.defaultConfigFile } : {};
    return { args, prepared: prepare(args, io.env, options) };
  } catch (err) {
    return usageError(err, argv, io);
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

/** One check of a --output json-stream run: its --json form, on one line, as soon as it completes. */
function streamCheck(r: CheckReport, secrets: readonly string[], io: CliIo): void {
  const [check] = toJsonDocument(toolVersion(), [r], summarize([r]), secrets).checks;
  io.stdout.write(`${JSON.stringify({ type: 'check', ...check })}\n`);
}

/** Live progress on stderr while checks run: text output, and only when stderr is a terminal. */
function progressOf(args: CliArgs, io: CliIo): Progress | undefined {
  if (args.json || io.stderr.isTTY !== true) return undefined;
  return startProgress(io.stderr, outputWidth(io.env, io.stdout));
}

/** --dont-run, and the output as checks finish: text (a heading per section, a line per check) or a JSON line. */
function runOptions(
  args: CliArgs,
  prepared: Prepared,
  io: CliIo,
  secrets: () => readonly string[],
  progress?: Progress,
): RunChecksOptions {
  const colour = !args.json && !args.noColor && io.stdout.isTTY === true && !io.env['NO_COLOR'];
  const text: TextOptions = { colour, verbose: args.verbose, width: outputWidth(io.env, io.stdout) };
  const stream = args.output === 'json-stream';
  let section: Section | undefined;
  return {
    dontRun: args.dontRun,
    present: adviseReport,
    cannotRun: new Map(prepared.problems.flatMap((p) => p.checks.map((id) => [id, p.error] as const))),
    ...(progress ? { onStart: (c: Check, title: string) => progress.started(c, title) } : {}),
    ...(progress || stream
      ? {
          onFinish: (c: Check, r: CheckReport) => {
            progress?.finished(c);
            // A stream line goes out when its check completes: a slow check early in the registry holds back none.
            if (stream) streamCheck(r, secrets(), io);
          },
        }
      : {}),
    onResult: (r) => {
      // Text keeps registry order (a heading per section); json-stream wrote each line in onFinish.
      if (args.json) return;
      progress?.erase();
      if (r.section !== section) {
        section = r.section;
        io.stdout.write(`${renderSection(r.section)}\n`);
      }
      io.stdout.write(`${renderCheck(r, text)}\n`);
    },
  };
}

/** The end of a run: the JSON document, the stream's summary line, or the text summary with how to see more. */
function writeEnd(args: CliArgs, doc: JsonDocument, io: CliIo): void {
  if (args.output === 'json') io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else if (args.output === 'json-stream') {
    const end = {
      type: 'summary',
      version: doc.version,
      summary: doc.summary,
      exitCode: exitCodeOf(doc.summary, args.warningsAsErrors),
    };
    io.stdout.write(`${JSON.stringify(end)}\n`);
  } else
    io.stdout.write(
      `\n${renderSummary(doc.summary, { verbose: args.verbose, report: args.reportFile !== undefined, width: outputWidth(io.env, io.stdout) })}\n`,
    );
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
  const progress = progressOf(args, io);
  let reports: CheckReport[];
  try {
    reports = await runChecks(
      CHECKS,
      ctx,
      runOptions(args, prepared, io, () => secrets, progress),
    );
  } finally {
    progress?.stop();
  }
  const summary = summarize(reports);
  const doc = toJsonDocument(toolVersion(), reports, summary, secrets);
  writeEnd(args, doc, io);
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
