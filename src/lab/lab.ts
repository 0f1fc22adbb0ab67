import crypto from 'node:crypto';
import { InvalidOptionError } from '../errors';
import { logger } from '../log';
import { LabClock } from './clock';
import { createPki, issueCertificate, issueEcCertificate, rsaKey } from './certs';
import { startDnsServer, type DnsServer } from './dns-server';
import { createDpsHandler, createPublicTwinHandler } from './dps';
import { Enrollments } from './enrollments';
import { FaultTable, isCertificateFault } from './faults';
import { HubRegistry, createHubHandler, createHubPublicHandler } from './hub';
import { createHttpsResponder, type HttpsFace } from './https-api';
import { startListener, type Listener } from './mqtt-listener';
import { resolveLabOptions } from './options';
import { deriveDeviceKey } from './sas';
import type { LabCounters, LabDevice, LabDeviceKind, LabDnsView, LabFault, LabHandle, LabOptions } from './types';
import { DNS_VIEWS, serviceNames, viewRecords } from './zones';

const log = logger('lab');

const DEVICE_KINDS: readonly LabDeviceKind[] = [
  'x509-individual',
  'x509-group',
  'symmetric-key',
  'symmetric-key-group',
];
/**
 * DPS registration ids as Azure documents them: 1-128 alphanumerics and `-._:`, the last one alphanumeric or `-`.
 * Case-insensitive: the enrollments look ids up, and match certificate CNs, without regard to case.
 */
const REGISTRATION_ID = /^[A-Za-z0-9-._:]{0,127}[A-Za-z0-9-]$/;

/**
 * Start the local private lab on loopback: a DNS server with Azure-like zones, a DPS and an IoT hub over MQTT/TLS and
 * MQTT/WebSockets at their private endpoints inside the lab VNET, and the public twins of both (public network access
 * disabled). Everything binds loopback addresses only. Close it with `close()`.
 *
 * @throws InvalidOptionError naming the field for a bad option; LabListenError when a port cannot be bound.
 */
export async function startLab(options?: LabOptions): Promise<LabHandle> {
  const o = resolveLabOptions(options);
  const dpsNames = serviceNames(o.dpsName, 'azure-devices-provisioning.net', o.dpsAddress, o.publicTwinAddress);
  const hubNames = serviceNames(o.hubName, 'azure-devices.net', o.hubAddress, o.hubPublicTwinAddress);
  const pki = createPki({ dps: dpsNames.host, hub: hubNames.host }, { privatelinkSans: o.privatelinkSans });
  const counters: LabCounters = {
    connections: { dps: 0, publicTwin: 0, hub: 0, hubPublic: 0 },
    registrations: 0,
    polls: 0,
    assigned: 0,
    publicTwinRequests: 0,
    refused: 0,
    dropped: 0,
    telemetry: 0,
  };
  const clock = new LabClock(o.clockOffsetMs);
  const now = (): number => clock.now();
  const enrollments = new Enrollments(o.idScope, pki.groupCa.thumbprint, now);
  const faults = new FaultTable();
  const registry = new HubRegistry();
  const clientCas = [pki.root.certPem];

  const started: { close(): Promise<void> }[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  };
  try {
    const dns: DnsServer = await startDnsServer({ address: o.dnsAddress, port: o.dnsPort });
    started.push(dns);
    const views = { dps: 'private' as LabDnsView, hub: 'private' as LabDnsView };
    const applyView = (target: 'dps' | 'hub'): void => {
      for (const [name, record] of Object.entries(viewRecords(views[target], target === 'dps' ? dpsNames : hubNames))) {
        dns.setRecord(name, record);
      }
    };
    applyView('dps');
    applyView('hub');
    // devices configured with the global endpoint reach DPS publicly: it never goes through a private endpoint.
    dns.setRecord('global.azure-devices-provisioning.net', { cname: 'global-prod.westeurope.cloudapp.azure.com' });
    dns.setRecord('global-prod.westeurope.cloudapp.azure.com', { a: [o.publicTwinAddress], ttl: 10 });

    const listen = async (
      name: string,
      face: HttpsFace,
      address: string,
      cert: { certPem: string; keyPem: string },
      handler: Parameters<typeof startListener>[0]['handler'],
      count: () => void,
    ): Promise<Listener> => {
      const counted = { ...handler, protocolError: () => void counters.dropped++ };
      const l = await startListener({
        name,
        address,
        port: o.mqttPort,
        wsPort: o.wsPort,
        cert,
        clientCas,
        handler: counted,
        onConnection: count,
        onHttpRequest: createHttpsResponder(face, name, clock),
        now,
      });
      started.push(l);
      return l;
    };
    const dps = await listen(
      'dps',
      'dps',
      o.dpsAddress,
      pki.server('dps'),
      createDpsHandler({
        idScope: o.idScope,
        hubHost: hubNames.host,
        retryAfterSeconds: o.retryAfterSeconds,
        enrollments,
        faults,
        counters,
        clock,
        assign: (deviceId, identity) => registry.set(deviceId, identity),
      }),
      () => counters.connections.dps++,
    );
    const publicTwin = await listen(
      'public-twin',
      'dps',
      o.publicTwinAddress,
      pki.server('dps'),
      createPublicTwinHandler(counters, clock),
      () => counters.connections.publicTwin++,
    );
    const hub = await listen(
      'hub',
      'hub',
      o.hubAddress,
      pki.server('hub'),
      createHubHandler(hubNames.host, registry, counters, now),
      () => counters.connections.hub++,
    );
    const hubPublic = await listen(
      'hub-public',
      'hub',
      o.hubPublicTwinAddress,
      pki.server('hub'),
      createHubPublicHandler(counters),
      () => counters.connections.hubPublic++,
    );
    const servers = { dps: [dps, publicTwin], hub: [hub, hubPublic] };

    log('lab up: dns %s, dps %s:%d, hub %s:%d', dns.endpoint, o.dpsAddress, dps.port, o.hubAddress, hub.port);

    const createDevice = async (
      registrationId: string,
      kind: LabDeviceKind,
      deviceOptions: Parameters<LabHandle['createDevice']>[2] = {},
    ): Promise<LabDevice> => {
      if (typeof registrationId !== 'string' || !REGISTRATION_ID.test(registrationId)) {
        throw new InvalidOptionError(
          'registrationId',
          `${JSON.stringify(registrationId)} is not a valid DPS registration id`,
          'Use 1-128 letters, digits and - . _ :, ending in a letter, digit or -.',
        );
      }
      if (!DEVICE_KINDS.includes(kind)) {
        throw new InvalidOptionError(
          'kind',
          `${JSON.stringify(kind)} is not a lab device kind`,
          `Use one of ${DEVICE_KINDS.join(', ')}.`,
        );
      }
      if (deviceOptions.deviceId !== undefined && (kind === 'x509-group' || kind === 'symmetric-key-group')) {
        throw new InvalidOptionError(
          'deviceId',
          `a ${kind} device cannot have its own device id`,
          'DPS group enrollments always assign deviceId = registrationId: omit deviceId or use an individual kind.',
        );
      }
      const deviceId = deviceOptions.deviceId ?? registrationId;
      if (typeof deviceId !== 'string' || !/^[A-Za-z0-9-.+%_#*?!(),:=@$']{1,128}$/.test(deviceId)) {
        throw new InvalidOptionError(
          'deviceId',
          `${JSON.stringify(deviceId)} is not a valid IoT Hub device id`,
          "Use up to 128 letters, digits and - . + % _ # * ? ! ( ) , : = @ $ '",
        );
      }
      const keyType = deviceOptions.keyType ?? 'rsa';
      if (keyType !== 'rsa' && keyType !== 'ec') {
        throw new InvalidOptionError(
          'keyType',
          `${JSON.stringify(keyType)} is not supported`,
          "Use 'rsa' (RSA 2048) or 'ec' (ECC P-256).",
        );
      }
      const status = deviceOptions.status ?? 'enabled';
      const base = { registrationId, deviceId, kind, status } as const;
      if (kind === 'symmetric-key') {
        const symmetricKey = crypto.randomBytes(64).toString('base64');
        enrollments.add({ ...base, symmetricKey });
        return { registrationId, deviceId, kind, auth: { symmetricKey } };
      }
      if (kind === 'symmetric-key-group') {
        enrollments.add(base);
        return {
          registrationId,
          deviceId,
          kind,
          auth: { symmetricKey: deriveDeviceKey(enrollments.groupKey, registrationId) },
        };
      }
      const validity = { notBefore: deviceOptions.notBefore, notAfter: deviceOptions.notAfter };
      // Individual enrollments are self-signed, as most are in the field: DPS matches them by thumbprint only.
      const spec = {
        commonName: registrationId,
        usage: 'client',
        issuer: kind === 'x509-group' ? pki.groupCa : undefined,
        ...validity,
      } as const;
      const cert = keyType === 'ec' ? issueEcCertificate(spec) : issueCertificate(spec, rsaKey());
      enrollments.add({ ...base, thumbprint: kind === 'x509-individual' ? cert.thumbprint : undefined });
      return {
        registrationId,
        deviceId,
        kind,
        auth: { cert: cert.chainPem, key: cert.keyPem },
        certPem: cert.certPem,
        thumbprint: cert.thumbprint,
      };
    };

    const setFault = (fault: LabFault | undefined, scope: { registrationId?: string } = {}): void => {
      if (fault === undefined) {
        faults.set(undefined, scope.registrationId);
        if (scope.registrationId === undefined) {
          for (const l of servers.dps) l.setCertificate(pki.server('dps'));
          for (const l of servers.hub) l.setCertificate(pki.server('hub'));
        }
        return;
      }
      if (typeof fault !== 'object' || fault === null || typeof fault.kind !== 'string') {
        throw new InvalidOptionError(
          'fault',
          `${JSON.stringify(fault)} is not a LabFault`,
          "Pass e.g. { kind: 'throttle', times: 2 }.",
        );
      }
      if ('times' in fault && fault.times !== undefined && (!Number.isInteger(fault.times) || fault.times < 1)) {
        throw new InvalidOptionError(
          'fault.times',
          `${String(fault.times)} is not a positive integer`,
          'Omit it for "every time".',
        );
      }
      if (isCertificateFault(fault)) {
        if (scope.registrationId !== undefined) {
          throw new InvalidOptionError(
            'scope.registrationId',
            `a ${fault.kind} fault cannot be scoped to one registration`,
            'Server certificates are per listener: set it globally.',
          );
        }
        const target = fault.target ?? 'dps';
        if (target !== 'dps' && target !== 'hub') {
          throw new InvalidOptionError(
            'fault.target',
            `${JSON.stringify(target)} is not 'dps' or 'hub'`,
            "Use 'dps' or 'hub'.",
          );
        }
        const cert = pki.server(target, fault.kind === 'wrong-san' ? 'wrong-san' : 'expired');
        for (const l of servers[target]) l.setCertificate(cert);
        return;
      }
      const known = [
        'throttle',
        'server-error',
        'error-status',
        'drop-after-connack',
        'drop-mid-poll',
        'never-answer',
        'malformed-json',
        'oversized-payload',
        'failed',
      ];
      if (!known.includes(fault.kind)) {
        throw new InvalidOptionError(
          'fault.kind',
          `${JSON.stringify(fault.kind)} is not a lab fault`,
          `Use one of ${known.join(', ')}, wrong-san, expired-cert.`,
        );
      }
      faults.set(fault, scope.registrationId);
    };

    let closed = false;
    const handle: LabHandle = {
      dnsServer: dns.endpoint,
      dns,
      vnetCidrs: [o.vnetCidr],
      dps: {
        host: dpsNames.host,
        privatelinkHost: dpsNames.privatelinkHost,
        idScope: o.idScope,
        address: o.dpsAddress,
        port: dps.port,
        wsPort: dps.wsPort,
      },
      publicTwin: { address: o.publicTwinAddress, port: publicTwin.port, wsPort: publicTwin.wsPort },
      hub: {
        host: hubNames.host,
        privatelinkHost: hubNames.privatelinkHost,
        address: o.hubAddress,
        port: hub.port,
        wsPort: hub.wsPort,
        publicAddress: o.hubPublicTwinAddress,
        publicPort: hubPublic.port,
        publicWsPort: hubPublic.wsPort,
      },
      caPem: pki.root.certPem,
      createDevice,
      setDnsView(view, target = 'dps') {
        if (!DNS_VIEWS.includes(view)) {
          throw new InvalidOptionError(
            'view',
            `${JSON.stringify(view)} is not a lab DNS view`,
            `Use one of ${DNS_VIEWS.join(', ')}.`,
          );
        }
        if (target !== 'dps' && target !== 'hub') {
          throw new InvalidOptionError(
            'target',
            `${JSON.stringify(target)} is not 'dps' or 'hub'`,
            "Use 'dps' or 'hub'.",
          );
        }
        views[target] = view;
        applyView(target);
      },
      get clockOffsetMs() {
        return clock.offsetMs;
      },
      setClockOffset(offsetMs) {
        clock.setOffset(offsetMs, 'offsetMs');
        log('lab clock offset now %d ms', clock.offsetMs);
      },
      setFault,
      counters,
      received: (deviceId) => registry.received(deviceId),
      hubDevices: () => registry.ids(),
      async close() {
        if (closed) return;
        closed = true;
        await closeAll();
      },
    };
    return handle;
  } catch (err) {
    await closeAll();
    throw err;
  }
}
