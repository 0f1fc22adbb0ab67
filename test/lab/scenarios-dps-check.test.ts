// dps-check, as dps-lab prints it, against every named scenario: the checks that fail or warn and the codes they
// report must be what the scenario table says (the table is also what dps-lab prints to the technician).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dpsCheck } from '../../src/checks/main';
import { LAB_SCENARIOS, applySetup, type LabScenario } from '../../src/lab/index';
import { LabListenError } from '../../src/lab/errors';
import { startLab } from '../../src/lab/lab';
import { dpsCheckCommand, type DeviceFiles } from '../../src/lab/summary';
import type { LabHandle } from '../../src/lab/types';
import type { JsonDoc } from '../checks/cli-helper';
import { recordingConnector } from '../support/recording-connector';

/** A port free on the lab's first address now (the lab binds it on all four of its addresses). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.10.0.10', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/**
 * A lab whose public twins share the private endpoints' ports, as in Azure: dps-check dials the public endpoint on
 * the port it was given (public-access-disabled). Ephemeral ports would give every listener its own.
 */
async function startSharedPortLab(): Promise<LabHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLab({ mqttPort: await freePort(), wsPort: await freePort() });
    } catch (err) {
      // another process took the port between freePort() and the bind: try another pair
      if (!(err instanceof LabListenError) || attempt === 5) throw err;
    }
  }
}

/** What one dps-check run reported: the checks that did not pass or skip, the codes, every socket it opened. */
interface Outcome {
  code: number;
  checks: Record<string, string>;
  codes: string[];
  dialled: string[];
  doc: JsonDoc;
}

describe('dps-check against every named dps-lab scenario', function () {
  this.timeout(120_000);
  let lab: LabHandle;
  let dir: string;
  let caFile: string;
  let x509: DeviceFiles;
  let symmetric: DeviceFiles;

  before(async () => {
    lab = await startSharedPortLab();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dps-lab-scenarios-'));
    caFile = path.join(dir, 'lab-root-ca.pem');
    fs.writeFileSync(caFile, lab.caPem);
    const put = (name: string, content: string): string => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content, { mode: 0o600 });
      return file;
    };
    const d = await lab.createDevice('scenario-dev', 'x509-individual');
    assert.ok('cert' in d.auth);
    x509 = { device: d, files: { cert: put('dev.cert.pem', d.auth.cert), key: put('dev.key.pem', d.auth.key) } };
    const s = await lab.createDevice('scenario-sym', 'symmetric-key');
    assert.ok('symmetricKey' in s.auth);
    symmetric = { device: s, files: { symmetricKey: put('sym.key.txt', s.auth.symmetricKey) } };
  });
  after(async () => {
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    lab.setDnsView('private', 'dps');
    lab.setDnsView('private', 'hub');
    lab.setFault(undefined);
    lab.setClockOffset(0);
  });

  /**
   * Runs the command dps-lab prints for `device` in-process, plus --json and a short per-step timeout (so the
   * tls-stall scenario waits seconds, not the default 4 × 5 s); a symmetric key goes in through the environment.
   */
  async function runPrinted(device: DeviceFiles, scenario?: LabScenario): Promise<Outcome> {
    const command = dpsCheckCommand(lab, caFile, device, scenario);
    const env = command.symmetricKeyFile
      ? { DPS_SYMMETRIC_KEY: fs.readFileSync(command.symmetricKeyFile, 'utf8') }
      : {};
    const recording = recordingConnector(['tls', 'inspect', 'proxy', 'tcp']);
    let stdout = '';
    let stderr = '';
    const code = await dpsCheck([...command.args, '--json', '--timeout-ms', '1500'], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env,
      connector: recording.connector,
    });
    assert.equal(stderr, '', 'no usage error: the printed command is one dps-check accepts');
    const doc = JSON.parse(stdout) as JsonDoc;
    const failing = doc.checks.filter((c) => c.result !== 'ok' && c.result !== 'skipped');
    return {
      code,
      checks: Object.fromEntries(failing.map((c) => [c.id, c.result])),
      codes: [...new Set(failing.flatMap((c) => c.findings.map((f) => f.code)))].sort(),
      dialled: recording.calls,
      doc,
    };
  }

  it('healthy lab: the printed command passes every check, x509 and symmetric key alike, exit 0', async () => {
    for (const device of [x509, symmetric]) {
      const run = await runPrinted(device);
      assert.equal(run.code, 0, JSON.stringify(run.checks));
      assert.deepEqual(run.checks, {});
      assert.equal(run.doc.checks.find((c) => c.id === 'dps-register')?.result, 'ok');
      assert.equal(run.doc.checks.find((c) => c.id === 'hub-tls-websocket')?.result, 'ok');
    }
  });

  for (const scenario of LAB_SCENARIOS) {
    it(`${scenario.name}: ${Object.keys(scenario.expect.checks).join(', ')} → ${scenario.expect.codes.join(', ')}`, async () => {
      applySetup(lab, scenario.setup);
      const run = await runPrinted(x509, scenario);
      assert.equal(run.code, 1, 'a broken setup is an error');
      assert.deepEqual(run.checks, scenario.expect.checks, JSON.stringify(run.doc.checks.map((c) => c.detail)));
      assert.deepEqual(run.codes, [...scenario.expect.codes].sort());
      // the network rule, and the feature: only loopback is ever dialled; 10.99.0.4 (outside-vnet) never is
      for (const call of run.dialled) assert.match(call, /(^| |,)127\.\d+\.\d+\.\d+:\d+$/, call);
    });
  }

  it('every scenario has a one-line summary and technician text, and a unique name', () => {
    assert.equal(new Set(LAB_SCENARIOS.map((s) => s.name)).size, LAB_SCENARIOS.length);
    for (const s of LAB_SCENARIOS) {
      assert.doesNotMatch(s.summary, /\n/, s.name);
      assert.ok(s.technician.length > 40, s.name);
      assert.ok(Object.keys(s.expect.checks).length > 0 && s.expect.codes.length > 0, s.name);
    }
  });
});
