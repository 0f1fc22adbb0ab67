import assert from 'node:assert/strict';
import type { DeviceRegistrationResult } from 'azure-iot-provisioning-device';
import type { ConnectionSession } from '../../src/connection/session';
import type { EndpointReport } from '../../src/endpoint/types';
import { Deadline } from '../../src/provision/deadline';
import { DEFAULT_POLL_MS, pollDelayMs, runRegistration } from '../../src/provision/register';
import type { DpsTransport } from '../../src/provision/sdk-transport';

type Cb = (err?: Error, result?: DeviceRegistrationResult, response?: unknown, pollingInterval?: number) => void;

/**
 * A DPS transport that answers `assigning` forever with the given retry-after on the response topic (as our tap
 * records it in `last`) and the SDK's pollingInterval (retry-after * 1000, unchecked). Counts the polls.
 */
function assigningForever(
  retryAfter: number | undefined,
  last: { status?: number; retryAfterSeconds?: number },
): { transport: DpsTransport; polls: () => number } {
  let polls = 0;
  const answer = (cb: Cb): void => {
    setImmediate(() => {
      last.status = 202;
      if (retryAfter !== undefined) last.retryAfterSeconds = retryAfter;
      cb(
        undefined,
        { status: 'assigning', operationId: 'op-1' } as unknown as DeviceRegistrationResult,
        undefined,
        retryAfter === undefined ? 2000 : retryAfter * 1000,
      );
    });
  };
  const transport: DpsTransport = {
    registrationRequest: (_r, cb) => answer(cb),
    queryOperationStatus: (_r, _op, cb) => {
      polls++;
      answer(cb);
    },
    cancel: (cb) => cb(),
    disconnect: (cb) => cb(),
  };
  return { transport, polls: () => polls };
}

async function pollsWithin(ms: number, retryAfter: number | undefined): Promise<number> {
  const last: { status?: number; retryAfterSeconds?: number } = {};
  const fake = assigningForever(retryAfter, last);
  const deadline = new Deadline(ms);
  try {
    await runRegistration({
      transport: fake.transport,
      session: { failure: undefined, tls: undefined } as unknown as ConnectionSession,
      deadline,
      dps: { host: 'lab-dps.azure-devices-provisioning.net', addresses: [] } as unknown as EndpointReport,
      retry: { maxAttempts: 3, baseDelayMs: 10, jitter: 0 },
      last,
      request: {
        registrationId: 'poll-test',
        provisioningHost: 'lab-dps.azure-devices-provisioning.net',
        idScope: '0ne00000A1B',
      },
    }).then(
      () => assert.fail('assigning forever cannot succeed'),
      (stop: unknown) => assert.deepEqual(stop, { kind: 'timeout' }),
    );
  } finally {
    deadline.dispose();
  }
  return fake.polls();
}

describe('provision: polling an assigning operation never becomes a tight loop', () => {
  const table: [string, number | undefined, number][] = [
    ['retry-after 3 s', 3, 3000],
    ['retry-after 0 (explicit: poll again now; the lab uses it)', 0, 0],
    ['no retry-after → the SDK default', undefined, DEFAULT_POLL_MS],
    ['retry-after -5 → the SDK default, not a negative wait', -5, DEFAULT_POLL_MS],
    ['retry-after NaN → the SDK default', NaN, DEFAULT_POLL_MS],
    ['retry-after Infinity → the SDK default', Infinity, DEFAULT_POLL_MS],
  ];
  for (const [what, retryAfter, expected] of table) {
    it(`${what}: waits ${expected} ms`, () => assert.equal(pollDelayMs(retryAfter), expected));
  }

  it('a DPS that answers retry-after -1 is polled at most once in 300 ms (it was hundreds of times)', async () => {
    const polls = await pollsWithin(300, -1);
    assert.ok(polls <= 1, `${polls} polls in 300 ms`);
  });

  it('retry-after 0 still polls promptly (lab speed), one request/response at a time', async () => {
    const polls = await pollsWithin(100, 0);
    assert.ok(polls >= 5, `${polls} polls in 100 ms`);
  });
});
