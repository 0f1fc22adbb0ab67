import assert from 'node:assert/strict';
import type { Client } from 'azure-iot-device';
import { findingCatalogue, POSTURE_MAX_BYTES } from '../../src/index';
import type { EndpointReport, Finding, ProvisioningResult } from '../../src/index';
import { buildPosture, resolvePostureOptions } from '../../src/handoff/posture';
import { twinSize } from '../../src/lab/twin';

// The budget is a promise to the application, which shares the twin's 32 KB: the largest document the schema allows
// must fit in it. Names at DNS's 253-character limit, the longest IPv6 spellings, four resolvers (three listed),
// every finding code.
describe('posture: the reported document stays inside its size budget', () => {
  const label = (n: number): string => `${'a'.repeat(60)}${n}`.slice(0, 63);
  const longHost = (suffix: string): string => {
    let host = suffix;
    for (let i = 0; host.length + 64 <= 253; i++) host = `${label(i)}.${host}`;
    return host;
  };
  const v6 = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255';
  const resolver = `[${v6}]:65535`;
  const endpoint = (host: string): EndpointReport => ({
    host,
    role: 'hub',
    verdict: 'private-outside-vnet',
    addresses: [],
    trace: [1, 2, 3, 4].map((i) => ({
      resolver: `${resolver.slice(0, -1)}${i}`,
      chain: [host],
      addresses: [],
      durationMs: 1,
    })),
    findings: [],
    policy: 'warn',
    expectedCidrs: ['10.0.0.0/8'],
  });
  const findings = Object.keys(findingCatalogue).map(
    (code, i) =>
      ({ code, severity: i % 2 ? 'error' : 'warning', message: '', evidence: {}, remediation: '' }) as Finding,
  );
  const result = {
    assignedHub: longHost('azure-devices.net'),
    deviceId: 'd'.repeat(128),
    registrationId: 'd'.repeat(128),
    fromCache: false,
    dps: endpoint(longHost('azure-devices-provisioning.net')),
    hub: endpoint(longHost('azure-devices.net')),
    tls: { protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305-SHA256-LONGEST-NAME' },
    findings,
    provisionedAt: new Date(0).toISOString(),
    transport: 'mqtt-ws',
  } as unknown as ProvisioningResult;

  it(`worst case: at most ${POSTURE_MAX_BYTES} bytes of JSON, findings beyond 24 counted, errors listed first`, () => {
    const doc = buildPosture({} as Client, result, resolvePostureOptions({ dpsAddress: v6 }));
    const bytes = Buffer.byteLength(JSON.stringify(doc));
    assert.ok(bytes <= POSTURE_MAX_BYTES, `${bytes} bytes`);
    assert.ok(twinSize({ privateLink: doc }) <= POSTURE_MAX_BYTES);
    assert.equal(Object.keys(doc.findings).length, 24);
    assert.equal(doc.findingsOmitted, findings.length - 24);
    assert.equal(doc.errors + doc.warnings, findings.length);
    assert.ok(
      Object.values(doc.findings)
        .slice(0, Math.min(24, doc.errors))
        .every((s) => s === 'error'),
    );
    assert.equal(doc.dps.resolvers.split(' ').length, 3);
  });
});
