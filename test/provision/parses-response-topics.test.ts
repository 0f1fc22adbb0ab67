import assert from 'node:assert/strict';
import { parseResponseTopic } from '../../src/provision/register';

describe('provision: DPS response topics (table-driven)', () => {
  const table: [string, ReturnType<typeof parseResponseTopic>][] = [
    ['$dps/registrations/res/202/?$rid=1&retry-after=3', { status: 202, retryAfterSeconds: 3 }],
    ['$dps/registrations/res/200/?$rid=abc', { status: 200 }],
    ['$dps/registrations/res/429/?$rid=2&retry-after=0', { status: 429, retryAfterSeconds: 0 }],
    ['$dps/registrations/res/503/?retry-after=abc&$rid=2', { status: 503 }],
    ['$dps/registrations/res/401/?$rid=9', { status: 401 }],
    ['devices/x/messages/devicebound/', undefined],
    ['$dps/registrations/res/OK/?$rid=1', undefined],
  ];
  for (const [topic, expected] of table) {
    it(`${topic} → ${JSON.stringify(expected)}`, () => assert.deepEqual(parseResponseTopic(topic), expected));
  }
});
