// mqtt-packet (under mqtt.js 4) builds 65,536 cached number buffers at the first packet of a process unless told
// not to: a device pays ~20 ms and ~5 MB for a handful of packets. Provisioning turns the documented switch off.
import assert from 'node:assert/strict';
import path from 'node:path';
import { provisionDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { optionsFor, startTestLab } from '../support/provision-lab';

describe('connection: mqtt.js writes numbers without building its 65,536-buffer cache', function () {
  this.timeout(60_000);
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());

  it('after a registration the number cache of the mqtt-packet mqtt.js uses is still empty, and it registered', async () => {
    const device = await lab.createDevice('number-cache', 'x509-individual');
    const result = await provisionDevice(optionsFor(lab, device));
    assert.equal(result.assignedHub, lab.hub.host);
    const from = path.dirname(require.resolve('mqtt/package.json'));
    const dir = path.dirname(require.resolve('mqtt-packet', { paths: [from] }));
    const packet = require(dir) as { writeToStream: { cacheNumbers: boolean } };
    const numbers = require(path.join(dir, 'numbers.js')) as { cache: Record<number, Buffer> };
    assert.equal(packet.writeToStream.cacheNumbers, false);
    assert.equal(Object.keys(numbers.cache).length, 0, 'no cached numbers were built');
  });
});
