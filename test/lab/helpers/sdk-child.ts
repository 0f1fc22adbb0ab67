import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabDevice, LabHandle } from '../../../src/lab/types';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** What the provisioning fixture printed. */
export interface ChildOutcome {
  ok: boolean;
  assignedHub?: string;
  deviceId?: string;
  status?: string;
  substatus?: string;
  error?: { name: string; message: string; transportError?: string };
  hub?: { ok: boolean; error?: { name: string; message: string }; twin?: { desiredVersion: number } };
  ms: number;
}

/**
 * Run the unmodified SDK in a child process against the lab: lab DNS via preload, lab CA via NODE_EXTRA_CA_CERTS only.
 */
export async function provisionInChild(
  lab: LabHandle,
  device: Pick<LabDevice, 'registrationId' | 'auth'>,
  options: {
    transport?: 'mqtt' | 'mqtt-ws';
    telemetry?: string;
    twin?: boolean;
    host?: string;
    hubHost?: string;
    timeoutMs?: number;
  } = {},
): Promise<ChildOutcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpl-lab-'));
  const caFile = path.join(dir, 'lab-ca.pem');
  fs.writeFileSync(caFile, lab.caPem);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_EXTRA_CA_CERTS: caFile,
    DPL_LAB_DNS: lab.dnsServer,
    DPL_CASE: JSON.stringify({
      host: options.host ?? lab.dps.host,
      idScope: lab.dps.idScope,
      registrationId: device.registrationId,
      transport: options.transport ?? 'mqtt',
      auth: device.auth,
      then:
        options.telemetry === undefined
          ? undefined
          : { telemetry: options.telemetry, hubHost: options.hubHost, twin: options.twin },
    }),
  };
  if (process.env.NODE_V8_COVERAGE) env.NODE_V8_COVERAGE = process.env.NODE_V8_COVERAGE;
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--require', path.join(FIXTURES, 'lab-dns-preload.js'), path.join(FIXTURES, 'provision.js')],
        { env, cwd: path.join(__dirname, '..', '..', '..'), timeout: options.timeoutMs ?? 15_000 },
        (err, out, stderr) => {
          if (err && !out) reject(new Error(`fixture failed: ${err.message}\n${stderr}`));
          else resolve(out);
        },
      );
    });
    const line = stdout.trim().split('\n').pop() ?? '';
    return JSON.parse(line) as ChildOutcome;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
