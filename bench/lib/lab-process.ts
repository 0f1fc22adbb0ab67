// The lab in a process of its own: the clients' CPU and RSS are then theirs alone, and the lab's event loop never
// queues behind a client's. The child answers over IPC; it exits with its parent.
import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabCounters, LabDeviceKind, LabOptions } from '../../src/lab/types';

/** Devices to enroll: `count` of them named `<prefix>-<i>`. */
export interface DeviceBatch {
  prefix: string;
  kind: LabDeviceKind;
  count: number;
  keyType?: 'rsa' | 'ec';
}

/** What a client needs to reach the lab; written to a 0600 file because it holds (test) keys. */
export interface LabCase {
  dnsServer: string;
  host: string;
  idScope: string;
  dpsAddress: string;
  port: number;
  wsPort: number;
  hubHost: string;
  vnetCidrs: string[];
  caPem: string;
  devices: { registrationId: string; deviceId: string; auth: { cert?: string; key?: string; symmetricKey?: string } }[];
}

export interface LabProcess {
  labCase: LabCase;
  /** A directory for this lab's files: the case file, the CA file, caches. Removed by close(). */
  dir: string;
  caseFile: string;
  caFile: string;
  counters(): Promise<LabCounters>;
  close(): Promise<void>;
}

type FromChild =
  | { type: 'ready'; labCase: LabCase }
  | { type: 'counters'; counters: LabCounters }
  | { type: 'error'; message: string };

function next<T extends FromChild['type']>(child: ChildProcess, type: T): Promise<Extract<FromChild, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromChild): void => {
      if (m.type === 'error') reject(new Error(`lab process: ${m.message}`));
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as Extract<FromChild, { type: T }>);
    };
    const onExit = (code: number | null): void => reject(new Error(`lab process exited ${code} before '${type}'`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startLabProcess(options: LabOptions, batches: DeviceBatch[]): Promise<LabProcess> {
  const child = fork(__filename, ['--lab-child'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  child.send({ options, batches });
  const { labCase } = await next(child, 'ready');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-bench-'));
  const caseFile = path.join(dir, 'case.json');
  writeFileSync(caseFile, JSON.stringify(labCase));
  chmodSync(caseFile, 0o600);
  const caFile = path.join(dir, 'lab-ca.pem');
  writeFileSync(caFile, labCase.caPem);
  return {
    labCase,
    dir,
    caseFile,
    caFile,
    async counters() {
      const reply = next(child, 'counters');
      child.send({ type: 'counters' });
      return (await reply).counters;
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function child(): Promise<void> {
  const { startLab } = require('../../src/lab/lab') as typeof import('../../src/lab/lab');
  process.on('disconnect', () => process.exit(0));
  const { options, batches } = await new Promise<{ options: LabOptions; batches: DeviceBatch[] }>((resolve) =>
    process.once('message', resolve),
  );
  const lab = await startLab(options);
  const devices: LabCase['devices'] = [];
  for (const b of batches) {
    for (let i = 0; i < b.count; i++) {
      const d = await lab.createDevice(`${b.prefix}-${i}`, b.kind, b.keyType ? { keyType: b.keyType } : {});
      devices.push({ registrationId: d.registrationId, deviceId: d.deviceId, auth: d.auth });
    }
  }
  process.on('message', (m: { type: string }) => {
    if (m.type === 'counters') process.send!({ type: 'counters', counters: lab.counters });
    if (m.type === 'stop') void lab.close().then(() => process.exit(0));
  });
  const labCase: LabCase = {
    dnsServer: lab.dnsServer,
    host: lab.dps.host,
    idScope: lab.dps.idScope,
    dpsAddress: lab.dps.address,
    port: lab.dps.port,
    wsPort: lab.dps.wsPort,
    hubHost: lab.hub.host,
    vnetCidrs: lab.vnetCidrs,
    caPem: lab.caPem,
    devices,
  };
  process.send!({ type: 'ready', labCase });
}

if (process.argv[2] === '--lab-child') {
  child().catch((err: unknown) => {
    process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  });
}
