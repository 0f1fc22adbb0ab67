// Starts bench/lib/device-worker.js under plain `node` against a lab process and returns its JSON result.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { LabProcess } from './lab-process';

const WORKER = path.join(__dirname, 'device-worker.js');
const PRELOAD = path.join(__dirname, 'lab-resolver.js');

/** What the worker printed last (JSON), with the wall time of the whole process as this side saw it. */
export function runWorker<T>(
  lab: LabProcess,
  args: string[],
  extra: { env?: Record<string, string>; nodeFlags?: string[] } = {},
): Promise<T & { processMs: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(extra.nodeFlags ?? []), '--require', PRELOAD, WORKER, ...args], {
      env: {
        PATH: process.env['PATH'],
        NODE_EXTRA_CA_CERTS: lab.caFile,
        DPL_LAB_DNS: lab.labCase.dnsServer,
        DPL_BENCH_CASE: lab.caseFile,
        // B with the socket option A sets, unless a scenario asks for the SDK as written (see lab-resolver.js).
        DPL_BENCH_NODELAY: '1',
        ...extra.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const processMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`device-worker ${args.join(' ')} exited ${code}: ${err.trim()}`));
      try {
        resolve({ ...(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T), processMs });
      } catch {
        reject(new Error(`device-worker ${args.join(' ')} printed no JSON: ${out.slice(-300)}`));
      }
    });
  });
}
