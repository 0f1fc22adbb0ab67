// The lab's HTTPS ports answer plain REST requests as the real services answer one without credentials, always with
// a Date header from the lab clock; the lab clock can be skewed at start and at run time.
import assert from 'node:assert/strict';
import https from 'node:https';
import { startLab } from '../../src/index';
import type { LabDevice, LabHandle } from '../../src/index';
import { RawClient, dpsResponse } from './helpers/raw-client';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

const MINUTE = 60_000;

/** One HTTPS request to a lab listener, trusting only the lab CA, with the service name as SNI. */
function request(
  lab: LabHandle,
  target: { address: string; wsPort: number; host: string },
  method: string,
  path: string,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: target.address,
        port: target.wsPort,
        servername: target.host,
        ca: lab.caPem,
        method,
        path,
        agent: false,
        headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              json: JSON.parse(text) as Record<string, unknown>,
            });
          } catch {
            reject(new Error(`${method} ${path}: ${res.statusCode} body is not JSON: ${text}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The Date header as ms; the header has one-second resolution, so it lies in (t - 1 s, t]. */
function dateOf(a: { headers: Record<string, string | string[] | undefined> }): number {
  const raw = a.headers['date'];
  assert.equal(typeof raw, 'string', 'a Date header');
  const ms = Date.parse(raw as string);
  assert.ok(Number.isFinite(ms), `Date header ${String(raw)} parses`);
  return ms;
}

/** `actual` is the host clock plus `offsetMs`, within the header's 1 s resolution and 2 s of slack for a slow run. */
function assertNear(actual: number, offsetMs: number, what: string): void {
  const delta = actual - (Date.now() + offsetMs);
  assert.ok(delta > -3000 && delta <= 1000, `${what} is ${delta} ms off host clock + ${offsetMs} ms`);
}

describe('lab: HTTPS REST face and the lab clock', function () {
  this.timeout(20_000);
  let lab: LabHandle;
  let dps: { address: string; wsPort: number; host: string };
  let publicDps: { address: string; wsPort: number; host: string };
  let hub: { address: string; wsPort: number; host: string };
  let hubPublic: { address: string; wsPort: number; host: string };
  let register: string;

  before(async () => {
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
    dps = { address: lab.dps.address, wsPort: lab.dps.wsPort, host: lab.dps.host };
    publicDps = { address: lab.publicTwin.address, wsPort: lab.publicTwin.wsPort, host: lab.dps.host };
    hub = { address: lab.hub.address, wsPort: lab.hub.wsPort, host: lab.hub.host };
    hubPublic = { address: lab.hub.publicAddress, wsPort: lab.hub.publicWsPort, host: lab.hub.host };
    register = `/${lab.dps.idScope}/registrations/rest-dev/register?api-version=2021-06-01`;
  });
  after(() => lab.close());
  afterEach(() => lab.setClockOffset(0));

  it('DPS answers an unauthenticated register PUT 401 with a DPS JSON error body and a correct Date', async () => {
    const a = await request(lab, dps, 'PUT', register, JSON.stringify({ registrationId: 'rest-dev' }));
    assert.equal(a.status, 401);
    assert.match(String(a.headers['content-type']), /^application\/json/);
    assert.equal(a.json['errorCode'], 401002);
    assert.equal(a.json['message'], 'Unauthorized');
    assert.match(String(a.json['trackingId']), /^[0-9a-f-]{36}$/);
    assertNear(dateOf(a), 0, 'Date');
    assertNear(Date.parse(String(a.json['timestampUtc'])), 0, 'timestampUtc');
  });

  it('DPS answers operation-status GET and status-lookup POST 401, any other path 404 with the same body shape', async () => {
    const scope = lab.dps.idScope;
    assert.equal(
      (await request(lab, dps, 'GET', `/${scope}/registrations/rest-dev/operations/4.abc?api-version=2021-06-01`))
        .status,
      401,
    );
    assert.equal(
      (await request(lab, dps, 'POST', `/${scope}/registrations/rest-dev?api-version=2021-06-01`, '{}')).status,
      401,
    );
    for (const path of ['/', '/favicon.ico', `/${scope}/enrollments/x`]) {
      const a = await request(lab, dps, 'GET', path);
      assert.equal(a.status, 404, path);
      assert.equal(a.json['errorCode'], 404001, path);
      assertNear(dateOf(a), 0, `Date of ${path}`);
    }
  });

  it('the public DPS twin answers register 401 like the private endpoint (nothing says "private endpoint")', async () => {
    const a = await request(lab, publicDps, 'PUT', register, JSON.stringify({ registrationId: 'rest-dev' }));
    assert.equal(a.status, 401);
    assert.equal(a.json['errorCode'], 401002);
    assert.doesNotMatch(JSON.stringify(a.json), /private/i);
    assertNear(dateOf(a), 0, 'Date');
  });

  it('the hub and its public twin answer device paths 401 IotHubUnauthorizedAccess and other paths 404, with Date', async () => {
    for (const target of [hub, hubPublic]) {
      const a = await request(lab, target, 'GET', '/devices/rest-dev/messages/deviceBound?api-version=2021-04-12');
      assert.equal(a.status, 401, target.address);
      assert.match(String(a.json['Message']), /^ErrorCode:IotHubUnauthorizedAccess;/);
      assert.match(
        String(a.json['ExceptionMessage']),
        /^Tracking ID:[0-9a-f]{32}-G:0-TimeStamp:\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/,
      );
      assertNear(dateOf(a), 0, 'hub Date');
      const b = await request(lab, target, 'GET', '/');
      assert.equal(b.status, 404, target.address);
      assert.match(String(b.json['Message']), /^ErrorCode:NotFound;/);
    }
  });

  it('the WebSocket path still answers a plain GET 426, now with a Date from the lab clock', async () => {
    lab.setClockOffset(5 * MINUTE);
    const status = await new Promise<{ status: number; date: number }>((resolve, reject) => {
      https
        .get(
          {
            host: dps.address,
            port: dps.wsPort,
            servername: dps.host,
            ca: lab.caPem,
            path: '/$iothub/websocket',
            agent: false,
          },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, date: dateOf(res) });
          },
        )
        .on('error', reject);
    });
    assert.equal(status.status, 426);
    assertNear(status.date, 5 * MINUTE, 'Date of the 426');
  });

  it('setClockOffset shifts the HTTP Date and the error timestamps at run time, both ways', async () => {
    lab.setClockOffset(10 * MINUTE);
    assert.equal(lab.clockOffsetMs, 10 * MINUTE);
    const ahead = await request(lab, dps, 'PUT', register, '{}');
    assertNear(dateOf(ahead), 10 * MINUTE, 'Date 10 min ahead');
    assertNear(Date.parse(String(ahead.json['timestampUtc'])), 10 * MINUTE, 'timestampUtc 10 min ahead');
    lab.setClockOffset(-90 * MINUTE);
    const behind = await request(lab, hub, 'GET', '/devices/x/messages/deviceBound');
    assertNear(dateOf(behind), -90 * MINUTE, 'hub Date 90 min behind');
    lab.setClockOffset(0);
    assertNear(dateOf(await request(lab, dps, 'GET', '/')), 0, 'Date back on the host clock');
  });

  it('registrationState timestamps come from the lab clock', async () => {
    // 5 min, not 10: RawClient's SAS expires 10 min after the host's now, and the lab judges it by its own clock.
    lab.setClockOffset(5 * MINUTE);
    const device = await lab.createDevice('clock-dev', 'symmetric-key');
    const { client, returnCode } = await RawClient.dps(lab, device);
    try {
      assert.equal(returnCode, 0);
      const accepted = JSON.parse(dpsResponse(await client.register(device.registrationId)).body) as {
        operationId: string;
      };
      const done = dpsResponse(await client.poll(accepted.operationId));
      assert.equal(done.status, 200);
      const state = (JSON.parse(done.body) as { registrationState: Record<string, string> }).registrationState;
      assertNear(Date.parse(state['createdDateTimeUtc'] ?? ''), 5 * MINUTE, 'createdDateTimeUtc');
      assertNear(Date.parse(state['lastUpdatedDateTimeUtc'] ?? ''), 5 * MINUTE, 'lastUpdatedDateTimeUtc');
    } finally {
      client.close();
    }
  });

  it('judges SAS expiry and certificate validity by the lab clock, as a service with a skewed clock does', async () => {
    // DPS's default for credentials it does not accept: CONNACK 0, then 401 with 401000 (expired SAS) / 401002.
    const refusedBy = async (device: LabDevice): Promise<number> => {
      const { client, returnCode } = await RawClient.dps(lab, device);
      try {
        assert.equal(returnCode, 0, 'CONNECT itself is accepted');
        const answer = dpsResponse(await client.register(device.registrationId));
        assert.equal(answer.status, 401, answer.body);
        return (JSON.parse(answer.body) as { errorCode: number }).errorCode;
      } finally {
        client.close();
      }
    };
    // RawClient signs a SAS that expires 10 min from the host's now: a DPS clock 20 min ahead sees it expired.
    const sas = await lab.createDevice('clock-sas', 'symmetric-key');
    lab.setClockOffset(20 * MINUTE);
    assert.equal(await refusedBy(sas), 401000);
    // Lab device certificates are valid from an hour ago: a DPS clock 2 h behind sees one not yet valid.
    const x509 = await lab.createDevice('clock-x509', 'x509-individual');
    lab.setClockOffset(-120 * MINUTE);
    assert.equal(await refusedBy(x509), 401002);
    lab.setClockOffset(0);
    for (const device of [sas, x509]) {
      const ok = await RawClient.dps(lab, device);
      try {
        assert.equal(ok.returnCode, 0, device.registrationId);
        assert.equal(dpsResponse(await ok.client.register(device.registrationId)).status, 202, device.registrationId);
      } finally {
        ok.client.close();
      }
    }
  });

  it('setClockOffset refuses anything but whole milliseconds within ±10 years, naming the argument', () => {
    for (const bad of [1.5, Number.NaN, Infinity, 11 * 366 * 24 * 3600_000, '600000' as unknown as number]) {
      assert.throws(() => lab.setClockOffset(bad), {
        code: 'ERR_INVALID_OPTION',
        option: 'offsetMs',
        message: /whole number of milliseconds/,
      });
    }
    assert.equal(lab.clockOffsetMs, 0);
  });
});

describe('lab: clockOffsetMs at start', () => {
  it('a lab started 10 minutes ahead reports it in its Date header and on its handle', async () => {
    const lab = await startLab({ mqttPort: 0, wsPort: 0, clockOffsetMs: 10 * MINUTE });
    try {
      assert.equal(lab.clockOffsetMs, 10 * MINUTE);
      const a = await request(
        lab,
        { address: lab.dps.address, wsPort: lab.dps.wsPort, host: lab.dps.host },
        'GET',
        '/',
      );
      assertNear(dateOf(a), 10 * MINUTE, 'Date');
    } finally {
      await lab.close();
    }
  });
});
