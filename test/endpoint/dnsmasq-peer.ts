// Starts dnsmasq on loopback as an independent DNS peer (not our code answering our code).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { queryDnsServer } from '../../src/endpoint/dns-client';

/** True when a dnsmasq binary is on PATH (CI installs dnsmasq-base). */
export function hasDnsmasq(): boolean {
  return spawnSync('dnsmasq', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freeUdpPort(address: string): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, address, resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A running dnsmasq, answering only what its flags say (no upstream, no /etc/hosts, no config file). */
export interface Dnsmasq {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts dnsmasq on `address`, on `port` when given (53 for a namespace's system resolver), else a free one. */
export async function startDnsmasq(address: string, flags: string[], port?: number): Promise<Dnsmasq> {
  port ??= await freeUdpPort(address);
  const child: ChildProcess = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--pid-file=',
      '--log-facility=-',
      '--bind-interfaces',
      `--listen-address=${address}`,
      `--port=${port}`,
      ...flags,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const endpoint = `${address}:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  // Ready when it answers a query (any rcode).
  for (let i = 0; i < 40; i++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited with ${child.exitCode}: ${stderr}`);
    const a = await queryDnsServer({ label: endpoint, address, port, family: 4 }, 'ready.invalid', { timeoutMs: 100 });
    if (a.rcode) return { endpoint, stop };
  }
  await stop();
  throw new Error(`dnsmasq on ${endpoint} did not answer: ${stderr}`);
}
