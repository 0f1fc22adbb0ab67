// The lab's own entry point (the `dps-private-link/lab` subpath): its names exist and startLab works through it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as lab from '../../src/lab';
import { LabListenError, startLab } from '../../src/lab';
import type {
  DnsRecord,
  DnsServer,
  DnsZone,
  LabCounters,
  LabDevice,
  LabDeviceKind,
  LabDeviceOptions,
  LabDnsView,
  LabFault,
  LabHandle,
  LabMessage,
  LabOptions,
} from '../../src/lab';
import * as root from '../../src/index';

describe('lab entry point (src/lab/index.ts)', () => {
  it('exports exactly startLab, LabListenError, the scenario table, queryTwins and TWIN_LIMITS at runtime', () => {
    assert.deepEqual(Object.keys(lab).sort(), [
      'LAB_SCENARIOS',
      'LabListenError',
      'TWIN_LIMITS',
      'applySetup',
      'findScenario',
      'queryTwins',
      'startLab',
    ]);
    assert.equal(typeof startLab, 'function');
    assert.equal(LabListenError, root.LabListenError);
  });

  it('names every export, with no export *', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'lab', 'index.ts'), 'utf8');
    assert.doesNotMatch(text, /^\s*export \*/m);
  });

  it('starts a lab whose handle and devices have the exported types', async () => {
    const options: LabOptions = { mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 };
    const handle: LabHandle = await startLab(options);
    try {
      const kind: LabDeviceKind = 'symmetric-key';
      const deviceOptions: LabDeviceOptions = { deviceId: 'entry-point-device' };
      const device: LabDevice = await handle.createDevice('entry-point', kind, deviceOptions);
      assert.equal(device.deviceId, 'entry-point-device');
      const view: LabDnsView = 'public';
      handle.setDnsView(view);
      handle.setDnsView('private');
      const fault: LabFault = { kind: 'throttle', times: 1 };
      handle.setFault(fault);
      handle.setFault(undefined);
      const counters: LabCounters = handle.counters;
      assert.equal(counters.registrations, 0);
      const messages: LabMessage[] = handle.received(device.deviceId);
      assert.deepEqual(messages, []);
      const dns: DnsServer = handle.dns;
      const record: DnsRecord = { a: ['127.10.0.99'] };
      const zone: DnsZone = { 'bench.example.net': record };
      dns.setRecord('bench.example.net', zone['bench.example.net']);
      assert.match(handle.dnsServer, /^127\.0\.0\.53:\d+$/);
      assert.ok(handle.dps.port > 0 && handle.hub.port > 0);
    } finally {
      await handle.close();
    }
  });
});
