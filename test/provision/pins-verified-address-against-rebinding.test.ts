import assert from 'node:assert/strict';
import { provisionDevice } from '../../src/index';
import type { LabHandle } from '../../src/index';
import { optionsFor, spyOnConnector, startTestLab } from '../support/provision-lab';

describe('provision: DNS rebinding cannot redirect the connection', function () {
  let lab: LabHandle;
  before(async () => {
    lab = await startTestLab();
  });
  after(() => lab.close());
  afterEach(() => lab.setDnsView('private'));

  for (const transport of ['mqtt', 'mqtt-ws'] as const) {
    it(`${transport}: private on the first answer, public afterwards — only the verified address is ever connected, no second query`, async () => {
      const device = await lab.createDevice(`rebind-${transport}`, 'x509-individual');
      const before = { ...lab.counters.connections };
      let dpsQueriesAtVerification = -1;
      const dpsQueries = (): number => lab.dns.queries.get(lab.dps.host) ?? 0;
      const spy = spyOnConnector();
      try {
        const result = await provisionDevice(
          optionsFor(lab, device, {
            connector: spy.connector,
            transport,
            onProgress: (e) => {
              if (e.step === 'verified') {
                // The attacker's resolver flips right after the answer was checked.
                dpsQueriesAtVerification = dpsQueries();
                lab.setDnsView('public');
              }
              if (e.step === 'hub-verified') lab.setDnsView('private');
            },
          }),
        );
        assert.equal(result.assignedHub, lab.hub.host);
        assert.equal(lab.counters.connections.dps, before.dps + 1);
        assert.equal(lab.counters.connections.publicTwin, before.publicTwin, 'the public twin was never contacted');
        assert.deepEqual(
          spy.calls.map((c) => c.split(' ')[2].split(':')[0]),
          [lab.dps.address],
        );
        // After verification the DPS name is never asked again (the connection uses the pinned answer).
        assert.ok(dpsQueriesAtVerification > 0);
        assert.equal(dpsQueries(), dpsQueriesAtVerification);
      } finally {
        spy.restore();
      }
    });
  }
});
