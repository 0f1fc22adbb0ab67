// The REST face of the lab DPS on its HTTPS port (443 in the field), driven by curl — a client that is not ours:
// PUT …/register and GET …/operations/{id}, SAS in the Authorization header or an X.509 client certificate, the same
// outcomes as over MQTT. curl dials the private endpoint's loopback address itself (--resolve): no name is ever looked
// up. Secrets reach curl through files in a private temporary directory (never on its command line), and are never
// printed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLab } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { signSas } from '../../src/lab/sas';

interface CurlAnswer {
  status: number;
  headers: Record<string, string>;
  json: Record<string, unknown>;
}

const hasCurl = (): boolean => {
  try {
    return fs.existsSync('/usr/bin/curl') || fs.existsSync('/usr/local/bin/curl');
  } catch {
    return false;
  }
};

describe('lab: the DPS REST face, driven by curl', function () {
  this.timeout(20_000);
  let lab: LabHandle;
  let dir: string;
  before(async function () {
    if (!hasCurl()) {
      console.log('      skipped: curl is not installed (apt-get install -y curl; .ci/run installs it)');
      this.skip();
    }
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 1 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpl-curl-'));
  });
  after(async () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await lab?.close();
  });

  let n = 0;
  /** Write a secret file only this user can read; its path goes to curl, its content never to a log. */
  const secretFile = (name: string, content: string): string => {
    const file = path.join(dir, `${++n}-${name}`);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return file;
  };

  /** Credentials as curl arguments: a header file for SAS, certificate and key files for X.509. */
  const credentials = (device: Pick<LabDevice, 'registrationId' | 'auth'>): string[] => {
    if ('symmetricKey' in device.auth) {
      const token = signSas(
        `${lab.dps.idScope}/registrations/${device.registrationId}`,
        device.auth.symmetricKey,
        Math.floor(Date.now() / 1000) + 600,
        'registration',
      );
      return ['-H', `@${secretFile('auth.txt', `Authorization: ${token}\n`)}`];
    }
    return ['--cert', secretFile('cert.pem', device.auth.cert), '--key', secretFile('key.pem', device.auth.key)];
  };

  /** One curl request to the private DPS's HTTPS port; status, lower-cased headers and JSON body. */
  const curl = (method: 'PUT' | 'GET', urlPath: string, extra: string[], body?: unknown): Promise<CurlAnswer> => {
    const ca = path.join(dir, 'ca.pem');
    if (!fs.existsSync(ca)) fs.writeFileSync(ca, lab.caPem);
    const url = `https://${lab.dps.host}:${lab.dps.wsPort}${urlPath}`;
    const args = [
      '-sS',
      '-i',
      '--max-time',
      '10',
      '--tlsv1.2',
      '--cacert',
      ca,
      '--resolve',
      `${lab.dps.host}:${lab.dps.wsPort}:${lab.dps.address}`,
      '-X',
      method,
      '-H',
      'Content-Type: application/json',
      ...(body === undefined ? [] : ['--data-binary', JSON.stringify(body)]),
      ...extra,
      url,
    ];
    return new Promise((resolve, reject) => {
      execFile('curl', args, { timeout: 15_000 }, (err, stdout) => {
        // never echo args or stderr: they name the secret files, and the messages could quote them
        if (err) return reject(new Error(`curl ${method} ${urlPath} failed (exit ${String(err.code)})`));
        const [head, ...rest] = stdout.split('\r\n\r\n');
        const lines = head.split('\r\n');
        const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0])?.[1]);
        const headers = Object.fromEntries(
          lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
        );
        resolve({ status, headers, json: JSON.parse(rest.join('\r\n\r\n') || '{}') as Record<string, unknown> });
      });
    });
  };

  const api = '?api-version=2019-03-31';
  const registerPath = (id: string): string => `/${lab.dps.idScope}/registrations/${id}/register${api}`;
  const operationPath = (id: string, op: string): string =>
    `/${lab.dps.idScope}/registrations/${id}/operations/${encodeURIComponent(op)}${api}`;

  for (const kind of ['symmetric-key', 'x509-individual', 'x509-group'] as const) {
    it(`${kind}: PUT register → 202 assigning with retry-after, GET operation → 200 assigned with the full registrationState`, async () => {
      const device = await lab.createDevice(`curl-${kind}`, kind);
      const before = lab.counters.restRequests;
      const auth = credentials(device);
      const put = await curl('PUT', registerPath(device.registrationId), auth, {
        registrationId: device.registrationId,
        payload: { via: 'curl' },
      });
      assert.equal(put.status, 202, JSON.stringify(put.json));
      assert.equal(put.json['status'], 'assigning');
      assert.equal(put.headers['retry-after'], '1');
      const get = await curl('GET', operationPath(device.registrationId, String(put.json['operationId'])), auth);
      assert.equal(get.status, 200, JSON.stringify(get.json));
      assert.equal(get.json['status'], 'assigned');
      const state = get.json['registrationState'] as Record<string, unknown>;
      assert.equal(state['assignedHub'], lab.hub.host);
      assert.equal(state['deviceId'], device.deviceId);
      assert.equal(state['substatus'], 'initialAssignment');
      assert.deepEqual(state['payload'], { via: 'curl' });
      assert.ok(kind === 'symmetric-key' ? state['symmetricKey'] : state['x509'], JSON.stringify(state));
      assert.equal(lab.counters.restRequests, before + 2);
      assert.ok(lab.hubDevices().includes(device.deviceId), 'DPS created the device in the hub');
    });
  }

  it('a SAS signed with a key DPS does not know: 401 with errorCode 401002', async () => {
    const device = await lab.createDevice('curl-bad-key', 'symmetric-key');
    const put = await curl(
      'PUT',
      registerPath(device.registrationId),
      credentials({
        registrationId: device.registrationId,
        auth: { symmetricKey: Buffer.alloc(64, 5).toString('base64') },
      }),
      { registrationId: device.registrationId },
    );
    assert.equal(put.status, 401);
    assert.equal(put.json['errorCode'], 401002);
  });

  it('no credentials at all: 401 with errorCode 401002', async () => {
    const device = await lab.createDevice('curl-anonymous', 'symmetric-key');
    const put = await curl('PUT', registerPath(device.registrationId), [], { registrationId: device.registrationId });
    assert.equal(put.status, 401);
    assert.equal(put.json['errorCode'], 401002);
  });

  it('a disabled enrollment: 200 status disabled, as over MQTT', async () => {
    const device = await lab.createDevice('curl-disabled', 'x509-individual', { status: 'disabled' });
    const put = await curl('PUT', registerPath(device.registrationId), credentials(device), {
      registrationId: device.registrationId,
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.json, {
      operationId: '',
      status: 'disabled',
      registrationState: { registrationId: device.registrationId, status: 'disabled' },
    });
  });

  it('an allocation failure: GET operation → 200 status failed with errorCode 400207', async () => {
    const device = await lab.createDevice('curl-failed', 'symmetric-key', {
      allocationFailure: { errorCode: 400207, errorMessage: 'Custom allocation failed.' },
    });
    const auth = credentials(device);
    const put = await curl('PUT', registerPath(device.registrationId), auth, { registrationId: device.registrationId });
    const get = await curl('GET', operationPath(device.registrationId, String(put.json['operationId'])), auth);
    assert.equal(get.json['status'], 'failed');
    assert.equal((get.json['registrationState'] as Record<string, unknown>)['errorCode'], 400207);
  });

  it('an api-version DPS does not support: 400 with errorCode 400004', async () => {
    const device = await lab.createDevice('curl-api', 'symmetric-key');
    const put = await curl(
      'PUT',
      `/${lab.dps.idScope}/registrations/${device.registrationId}/register?api-version=2099-01-01`,
      credentials(device),
      { registrationId: device.registrationId },
    );
    assert.equal(put.status, 400);
    assert.equal(put.json['errorCode'], 400004);
  });

  it('429 from a fault: the retry-after header carries the wait', async () => {
    const device = await lab.createDevice('curl-throttled', 'symmetric-key');
    lab.setFault({ kind: 'throttle', times: 1, retryAfterSeconds: 4 }, { registrationId: device.registrationId });
    const put = await curl('PUT', registerPath(device.registrationId), credentials(device), {
      registrationId: device.registrationId,
    });
    assert.equal(put.status, 429);
    assert.equal(put.headers['retry-after'], '4');
    assert.equal(put.json['errorCode'], 429001);
  });

  it('an unknown operation: 404 with errorCode 404202', async () => {
    const device = await lab.createDevice('curl-no-op', 'symmetric-key');
    const get = await curl('GET', operationPath(device.registrationId, '4.0.none'), credentials(device));
    assert.equal(get.status, 404);
    assert.equal(get.json['errorCode'], 404202);
  });
});
