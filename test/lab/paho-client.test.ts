// The lab answers like DPS for a client that is not ours: Eclipse paho (Debian's python3-paho-mqtt), X.509 and SAS,
// assigned, disabled and bad credentials. Skipped, with the reason printed, where python3 or paho is missing.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLab } from '../../src/lab/lab';
import type { LabDevice, LabHandle } from '../../src/lab/types';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'fixtures', 'paho-dps-client.py');

function pahoMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${PYTHON} with paho-mqtt is not installed (apt-get install python3-paho-mqtt)`;
  }
}

interface Seen {
  connack: number | null;
  statuses: number[];
  final: { status?: string; errorCode?: number; registrationState?: { assignedHub?: string; status?: string } } | null;
}

describe('lab: a client that is not ours (paho) gets what DPS answers', function () {
  this.timeout(30_000);
  const missing = pahoMissing();
  let lab: LabHandle;
  let dir: string;
  before(async function () {
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-paho-'));
  });
  after(async () => {
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs paho against the lab's private DPS as `device`; credentials go through 0600 files, never argv. */
  async function paho(device: LabDevice, override: { symmetricKey?: string } = {}): Promise<Seen> {
    const caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, lab.caPem, { mode: 0o600 });
    const cfg: Record<string, unknown> = {
      host: lab.dps.host,
      address: lab.dps.address,
      port: lab.dps.port,
      idScope: lab.dps.idScope,
      registrationId: device.registrationId,
      caFile,
    };
    if ('cert' in device.auth) {
      cfg.certFile = path.join(dir, `${device.registrationId}.crt`);
      cfg.keyFile = path.join(dir, `${device.registrationId}.key`);
      writeFileSync(cfg.certFile as string, device.auth.cert, { mode: 0o600 });
      writeFileSync(cfg.keyFile as string, device.auth.key, { mode: 0o600 });
    } else {
      cfg.symmetricKey = override.symmetricKey ?? device.auth.symmetricKey;
    }
    // Asynchronously: the lab serves from this very process.
    const child = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end(JSON.stringify(cfg));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, err);
    return JSON.parse(out.trim().split('\n').pop() as string) as Seen;
  }

  it('X.509: CONNACK 0, 202 assigning, then 200 assigned to the lab hub', async () => {
    const seen = await paho(await lab.createDevice('paho-x509', 'x509-individual'));
    assert.equal(seen.connack, 0);
    assert.deepEqual(seen.statuses, [202, 200]);
    assert.equal(seen.final?.status, 'assigned');
    assert.equal(seen.final?.registrationState?.assignedHub, lab.hub.host);
  });

  it('symmetric key (SAS computed by the client): assigned', async () => {
    const seen = await paho(await lab.createDevice('paho-sas', 'symmetric-key'));
    assert.equal(seen.final?.status, 'assigned');
  });

  it('a disabled enrollment: 200 with status "disabled"', async () => {
    const seen = await paho(await lab.createDevice('paho-disabled', 'symmetric-key', { status: 'disabled' }));
    assert.equal(seen.connack, 0);
    assert.deepEqual(seen.statuses, [200]);
    assert.equal(seen.final?.status, 'disabled');
  });

  it('a wrong key: CONNACK 0, then 401 with errorCode 401002 on the register', async () => {
    const device = await lab.createDevice('paho-wrong-key', 'symmetric-key');
    const seen = await paho(device, { symmetricKey: Buffer.alloc(32, 9).toString('base64') });
    assert.equal(seen.connack, 0);
    assert.deepEqual(seen.statuses, [401]);
    assert.equal(seen.final?.errorCode, 401002);
  });
});
