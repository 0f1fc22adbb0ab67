// Runs dps-check as a real child process (tsx on src/checks/cli.ts, so a subset run needs no build).
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { LabHandle } from '../../src/lab/index';

/** What one dps-check run printed and returned. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const ROOT = path.join(__dirname, '..', '..');

/** Runs `dps-check ...args` with only the given environment variables (plus PATH), never the caller's DPS_* ones. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'src/checks/cli.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dps-check ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, durationMs: performance.now() - started });
    });
  });
}

/** The --json document of a run. */
export interface JsonDoc {
  version: string;
  checks: {
    id: string;
    result: string;
    findings: { code: string; severity: string; message: string; remediation: string; link?: string }[];
    evidence: Record<string, unknown>;
    detail?: string;
  }[];
  summary: { ok: number; warning: number; error: number; skipped: number };
}

/** Parses stdout of a --json run, with the output in the error when it is not JSON. */
export function jsonOf(run: CliRun): JsonDoc {
  try {
    return JSON.parse(run.stdout) as JsonDoc;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** result of one check id. */
export function resultOf(doc: JsonDoc, id: string): string | undefined {
  return doc.checks.find((c) => c.id === id)?.result;
}

/** Finding codes of one check id. */
export function codesOf(doc: JsonDoc, id: string): string[] {
  return doc.checks.find((c) => c.id === id)?.findings.map((f) => f.code) ?? [];
}

/** Library option names a technician cannot type into dps-check: its advice must never show one. */
export const LIBRARY_NAMES =
  /(?<![\w.-])(network\.\w+|retry\.\w+|tls\.ca|cache\.path|auth\.\w+|forceReprovision|timeoutMs|maxAttempts|dnsTimeoutMs)\b/;

/**
 * The dps-check flags that point it at `lab`: the lab DNS server, its VNET, the CA file `caFile` and every port (the
 * lab's listeners are ephemeral; dps-lab prints the same set, src/lab/summary.ts).
 */
export function labFlags(lab: LabHandle, caFile: string): string[] {
  return [
    ...['--dns-server', lab.dnsServer, '--expect-cidr', lab.vnetCidrs[0] ?? '', '--ca', caFile],
    ...['--port', String(lab.dps.port), '--ws-port', String(lab.dps.wsPort)],
    ...['--hub-port', String(lab.hub.port), '--hub-ws-port', String(lab.hub.wsPort)],
  ];
}

/**
 * One lab device's dps-check command line up to its credentials: the DPS host and ids, {@link labFlags}, a 3 s
 * timeout, and clock-skew left out (the tests that use it are not about the clock). Credentials and further flags
 * follow.
 */
export function labDeviceArgs(lab: LabHandle, caFile: string, registrationId: string): string[] {
  return [
    ...['--host', lab.dps.host, ...labFlags(lab, caFile)],
    ...['--timeout-ms', '3000', '--dont-run', 'clock-skew'],
    ...['--id-scope', lab.dps.idScope, '--registration-id', registrationId],
  ];
}
