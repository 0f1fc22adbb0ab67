import { InvalidOptionError } from '../errors';
import { logger } from '../log';
import { LabClock } from './clock';
import { createPki, type LabPki } from './certs';
import { checkAllocationFailure, createLabDevice } from './devices';
import { startDnsServer, type DnsServer } from './dns-server';
import { createDpsHandler, createPublicTwinHandler } from './dps';
import { DpsService, type DpsBehaviour } from './dps-service';
import { Enrollments } from './enrollments';
import { FaultTable, checkFault, isHubFault, isListenerFault } from './faults';
import { HubRegistry, createHubHandler, createHubPublicHandler, type HubContext } from './hub';
import { createDpsRestResponder, createHttpsResponder, type HttpsFace, type HttpsResponder } from './https-api';
import { startListener, type Listener, type SessionHandler } from './mqtt-listener';
import { checkDpsBehaviour, resolveLabOptions, type ResolvedLabOptions } from './options';
import { runTwinQuery } from './query';
import { TwinStore } from './twin';
import type { LabCounters, LabDnsView, LabFault, LabHandle, LabOptions } from './types';
import { DNS_VIEWS, serviceNames, viewRecords, type ServiceNames } from './zones';

const log = logger('lab');

/**
 * Start the local private lab on loopback: a DNS server with Azure-like zones, a DPS and an IoT hub over MQTT/TLS and
 * MQTT/WebSockets at their private endpoints inside the lab VNET, and the public twins of both (public network access
 * disabled). Everything binds loopback addresses only. Close it with `close()`.
 *
 * @throws InvalidOptionError naming the field for a bad option; LabListenError when a port cannot be bound.
 */
export async function startLab(options?: LabOptions): Promise<LabHandle> {
  const o = resolveLabOptions(options);
  const lab = createLabState(o, issuePki(o));
  const started = new Started();
  try {
    const dns = await startDns(lab, started);
    const dps = await startDpsListeners(lab, started);
    const hub = await startHubListeners(lab, started);
    log(
      'lab up: dns %s, dps %s:%d, hub %s:%d',
      dns.server.endpoint,
      o.dpsAddress,
      dps.private.port,
      o.hubAddress,
      hub.private.port,
    );
    return buildHandle(lab, dns, { dps, hub }, started);
  } catch (err) {
    // A later step failed (a port in use, most often): release what the earlier steps bound before reporting it.
    await started.close();
    throw err;
  }
}

/** Everything startLab has started, released in one place: by the handle's close(), or when a step fails. */
class Started {
  private readonly open: { close(): Promise<void> }[] = [];

  add<T extends { close(): Promise<void> }>(resource: T): T {
    this.open.push(resource);
    return resource;
  }

  /** Close everything started so far; a second call finds nothing left and returns at once. */
  async close(): Promise<void> {
    await Promise.all(this.open.splice(0).map((r) => r.close()));
  }
}

/** The names and PKI of both services, and the lab's in-memory state: what every later step reads. */
interface LabState {
  o: ResolvedLabOptions;
  dpsNames: ServiceNames;
  hubNames: ServiceNames;
  /** The hub's built-in Event Hub-compatible endpoint (DNS only). */
  eventHubNames: ServiceNames;
  pki: LabPki;
  counters: LabCounters;
  clock: LabClock;
  enrollments: Enrollments;
  faults: FaultTable;
  /** Hub faults, keyed by device id. */
  hubFaults: FaultTable;
  registry: HubRegistry;
  /** The hub's device twins (reported properties). */
  twins: TwinStore;
  /** Public network access of the hub: disabled (the default) refuses every CONNECT on the public address. */
  hubPublicAccess: { enabled: boolean };
  /** What DPS does that may change at run time. */
  behaviour: DpsBehaviour;
}

/** The service names and their certificates, issued before any socket: a failure here has nothing to release. */
function issuePki(o: ResolvedLabOptions): Issued {
  const dpsNames = serviceNames(o.dpsName, 'azure-devices-provisioning.net', o.dpsAddress, o.publicTwinAddress);
  const hubSuffix = o.hubHostnameStyle === 'device' ? 'device.azure-devices.net' : 'azure-devices.net';
  const hubNames = serviceNames(o.hubName, hubSuffix, o.hubAddress, o.hubPublicTwinAddress);
  // IoT Hub names its built-in Event Hub namespace iothub-ns-<hub>-<number>; its zone is privatelink.servicebus.…
  const eventHubNames = serviceNames(
    `iothub-ns-${o.hubName}-1000001`,
    'servicebus.windows.net',
    o.hubAddress,
    o.hubPublicTwinAddress,
  );
  const pki = createPki({ dps: dpsNames.host, hub: hubNames.host }, { privatelinkSans: o.privatelinkSans });
  return { dpsNames, hubNames, eventHubNames, pki };
}

type Issued = Pick<LabState, 'dpsNames' | 'hubNames' | 'eventHubNames' | 'pki'>;

function createLabState(o: ResolvedLabOptions, issued: Issued): LabState {
  const clock = new LabClock(o.clockOffsetMs);
  return {
    o,
    ...issued,
    counters: {
      connections: { dps: 0, publicTwin: 0, hub: 0, hubPublic: 0 },
      registrations: 0,
      polls: 0,
      assigned: 0,
      publicTwinRequests: 0,
      unauthorized: 0,
      restRequests: 0,
      refused: 0,
      dropped: 0,
      telemetry: 0,
      twinPatches: 0,
    },
    clock,
    enrollments: new Enrollments(o.idScope, issued.pki.groupCa.thumbprint, () => clock.now()),
    faults: new FaultTable(),
    hubFaults: new FaultTable(),
    registry: new HubRegistry(),
    twins: new TwinStore(),
    hubPublicAccess: { enabled: false },
    behaviour: {
      badCredentials: o.badCredentials,
      responseQueryOrder: o.responseQueryOrder,
      apiVersions: [...o.apiVersions],
    },
  };
}

/** The lab DNS server and the view each service's names answer with. */
interface LabDns {
  server: DnsServer;
  setView(target: 'dps' | 'hub', view: LabDnsView): void;
  /** The view each target answers with now. */
  views: Record<'dps' | 'hub', LabDnsView>;
}

/** Start the DNS server with both services in the private view, and the global endpoint answering publicly. */
async function startDns(lab: LabState, started: Started): Promise<LabDns> {
  const server = started.add(await startDnsServer({ address: lab.o.dnsAddress, port: lab.o.dnsPort }));
  const views: LabDns['views'] = { dps: 'private', hub: 'private' };
  const setView = (target: 'dps' | 'hub', view: LabDnsView): void => {
    views[target] = view;
    const names = target === 'dps' ? lab.dpsNames : lab.hubNames;
    for (const [name, record] of Object.entries(viewRecords(view, names))) server.setRecord(name, record);
  };
  setView('dps', 'private');
  setView('hub', 'private');
  for (const [name, record] of Object.entries(viewRecords('private', lab.eventHubNames)))
    server.setRecord(name, record);
  // devices configured with the global endpoint reach DPS publicly: it never goes through a private endpoint.
  server.setRecord('global.azure-devices-provisioning.net', { cname: 'global-prod.westeurope.cloudapp.azure.com' });
  server.setRecord('global-prod.westeurope.cloudapp.azure.com', { a: [lab.o.publicTwinAddress], ttl: 10 });
  return { server, setView, views };
}

/** One service's two endpoints: the private one inside the VNET and its public twin (public access disabled). */
interface ServiceListeners {
  private: Listener;
  public: Listener;
}

/** Start the private DPS endpoint, then its public twin. Both serve the DPS certificate and its HTTPS face. */
async function startDpsListeners(lab: LabState, started: Started): Promise<ServiceListeners> {
  const { o, counters } = lab;
  const ctx = {
    idScope: o.idScope,
    hubHost: lab.hubNames.host,
    retryAfterSeconds: o.retryAfterSeconds,
    enrollments: lab.enrollments,
    faults: lab.faults,
    counters,
    clock: lab.clock,
    behaviour: lab.behaviour,
    assign: (deviceId: string, identity: Parameters<HubRegistry['set']>[1]) => {
      lab.registry.set(deviceId, identity);
      lab.twins.ensure(deviceId);
    },
  };
  // One service behind both faces of the private endpoint: MQTT (8883, 443/WebSockets) and REST (443).
  const service = new DpsService(ctx);
  const privateEndpoint = await startMqttListener(lab, started, {
    name: 'dps',
    face: 'dps',
    address: o.dpsAddress,
    handler: createDpsHandler(ctx, service),
    onConnection: () => counters.connections.dps++,
    onHttpRequest: createDpsRestResponder(ctx, service, 'dps'),
  });
  const publicTwin = await startMqttListener(lab, started, {
    name: 'public-twin',
    face: 'dps',
    address: o.publicTwinAddress,
    handler: createPublicTwinHandler(counters, lab.clock),
    onConnection: () => counters.connections.publicTwin++,
  });
  return { private: privateEndpoint, public: publicTwin };
}

/** Start the private hub endpoint, then its public twin. Both serve the hub certificate and its HTTPS face. */
async function startHubListeners(lab: LabState, started: Started): Promise<ServiceListeners> {
  const { o, counters } = lab;
  const privateEndpoint = await startMqttListener(lab, started, hubPrivateSpec(lab, o.hubAddress));
  const publicTwin = await startMqttListener(lab, started, {
    name: 'hub-public',
    face: 'hub',
    address: o.hubPublicTwinAddress,
    handler: createHubPublicHandler(counters, lab.hubPublicAccess, createHubHandler(hubContext(lab))),
    onConnection: () => counters.connections.hubPublic++,
  });
  return { private: privateEndpoint, public: publicTwin };
}

/** The private hub endpoint's listener at `address` (at start, and when {@link LabHandle.moveHubEndpoint} moves it). */
function hubPrivateSpec(lab: LabState, address: string, ports?: { port: number; wsPort: number }): ListenerSpec {
  const { counters } = lab;
  return {
    name: 'hub',
    face: 'hub',
    address,
    handler: createHubHandler(hubContext(lab)),
    onConnection: () => counters.connections.hub++,
    ...(ports ? { ports } : {}),
  };
}

/** What the hub's handlers (private endpoint and, with public access enabled, the public one) serve from. */
function hubContext(lab: LabState): HubContext {
  return {
    hubHost: lab.hubNames.host,
    registry: lab.registry,
    twins: lab.twins,
    counters: lab.counters,
    now: () => lab.clock.now(),
    faults: lab.hubFaults,
  };
}

/** What differs between the lab's four listeners; ports, client CAs and the clock are the lab's. */
interface ListenerSpec {
  /** For logs and the HTTPS face: 'dps', 'public-twin', 'hub', 'hub-public'. */
  name: string;
  /** Which service it is: picks the server certificate and the REST answers. */
  face: HttpsFace;
  address: string;
  handler: SessionHandler;
  onConnection(): void;
  /** The REST face on the HTTPS port; default: the unauthenticated answers of {@link createHttpsResponder}. */
  onHttpRequest?: HttpsResponder;
  /** Ports other than the lab's (a moved endpoint keeps the ports it had). */
  ports?: { port: number; wsPort: number };
}

async function startMqttListener(lab: LabState, started: Started, spec: ListenerSpec): Promise<Listener> {
  const { o, counters, clock } = lab;
  const listener = await startListener({
    name: spec.name,
    address: spec.address,
    port: spec.ports?.port ?? o.mqttPort,
    wsPort: spec.ports?.wsPort ?? o.wsPort,
    cert: lab.pki.server(spec.face),
    clientCas: [lab.pki.root.certPem],
    // every listener counts the clients it drops for protocol errors in one counter
    handler: { ...spec.handler, protocolError: () => void counters.dropped++ },
    onConnection: spec.onConnection,
    onHttpRequest: spec.onHttpRequest ?? createHttpsResponder(spec.face, spec.name, clock),
    now: () => clock.now(),
  });
  return started.add(listener);
}

/** The LabHandle over what the steps started; its close() is the one close path. */
function buildHandle(
  lab: LabState,
  dns: LabDns,
  listeners: { dps: ServiceListeners; hub: ServiceListeners },
  started: Started,
): LabHandle {
  const { o, dpsNames, hubNames, pki, clock, counters, registry } = lab;
  const { dps, hub } = listeners;
  const handle: LabHandle = {
    dnsServer: dns.server.endpoint,
    dns: dns.server,
    vnetCidrs: [o.vnetCidr],
    dps: {
      host: dpsNames.host,
      privatelinkHost: dpsNames.privatelinkHost,
      idScope: o.idScope,
      address: o.dpsAddress,
      port: dps.private.port,
      wsPort: dps.private.wsPort,
    },
    publicTwin: { address: o.publicTwinAddress, port: dps.public.port, wsPort: dps.public.wsPort },
    hub: {
      host: hubNames.host,
      privatelinkHost: hubNames.privatelinkHost,
      address: o.hubAddress,
      port: hub.private.port,
      wsPort: hub.private.wsPort,
      publicAddress: o.hubPublicTwinAddress,
      publicPort: hub.public.port,
      publicWsPort: hub.public.wsPort,
      eventHubHost: lab.eventHubNames.host,
    },
    caPem: pki.root.certPem,
    // async, so a bad argument rejects the promise rather than throwing
    createDevice: async (registrationId, kind, deviceOptions) =>
      createLabDevice(lab, registrationId, kind, deviceOptions),
    setDnsView(view, target = 'dps') {
      checkDnsView(view, target);
      dns.setView(target, view);
    },
    get clockOffsetMs() {
      return clock.offsetMs;
    },
    setClockOffset(offsetMs) {
      clock.setOffset(offsetMs, 'offsetMs');
      log('lab clock offset now %d ms', clock.offsetMs);
    },
    setFault: (fault, scope) => setFault(lab, listeners, fault, scope),
    setBehaviour(behaviour) {
      checkDpsBehaviour(behaviour ?? {});
      const { badCredentials, responseQueryOrder, apiVersions } = behaviour;
      if (badCredentials !== undefined) lab.behaviour.badCredentials = badCredentials;
      if (responseQueryOrder !== undefined) lab.behaviour.responseQueryOrder = responseQueryOrder;
      if (apiVersions !== undefined) lab.behaviour.apiVersions = [...apiVersions];
      log('DPS behaviour now %o', lab.behaviour);
    },
    moveHubEndpoint: (address) => moveHubEndpoint(lab, dns, listeners.hub, started, handle, address),
    setEnrollmentGroup(group, settings) {
      if (group !== 'x509-group' && group !== 'symmetric-key-group') {
        throw new InvalidOptionError(
          'group',
          `${JSON.stringify(group)} is not a lab group`,
          "Use 'x509-group' or 'symmetric-key-group'.",
        );
      }
      if (settings.status !== undefined && settings.status !== 'enabled' && settings.status !== 'disabled') {
        throw new InvalidOptionError(
          'status',
          `${JSON.stringify(settings.status)} is not 'enabled' or 'disabled'`,
          "Use 'enabled' or 'disabled'.",
        );
      }
      checkAllocationFailure(settings.allocationFailure);
      const current = lab.enrollments.groups[group];
      if (settings.status !== undefined) current.status = settings.status;
      if (settings.allocationFailure === null) delete current.allocationFailure;
      else if (settings.allocationFailure !== undefined) current.allocationFailure = { ...settings.allocationFailure };
    },
    counters,
    received: (deviceId) => registry.received(deviceId),
    hubDevices: () => registry.ids(),
    reportedProperties: (deviceId) => lab.twins.reported(deviceId),
    queryTwins: (sql) => runTwinQuery(lab.twins.all(), sql),
    setTwinPatchFault(fault) {
      checkTwinPatchFault(fault);
      lab.twins.setPatchFault(fault);
    },
    setHubPublicAccess(enabled) {
      if (typeof enabled !== 'boolean')
        throw new InvalidOptionError('enabled', `expected true or false, got ${typeof enabled}`, 'Pass a boolean.');
      lab.hubPublicAccess.enabled = enabled;
      log('hub public network access %s', enabled ? 'enabled' : 'disabled');
    },
    close: () => started.close(),
  };
  return handle;
}

/**
 * {@link LabHandle.moveHubEndpoint}: the hub's private endpoint is recreated at `address` (same ports), the lab DNS
 * answers the new address from now on, and the old endpoint goes away with every connection it had.
 */
async function moveHubEndpoint(
  lab: LabState,
  dns: LabDns,
  hub: ServiceListeners,
  started: Started,
  handle: LabHandle,
  address: string,
): Promise<void> {
  const probe = resolveLabOptions({ ...lab.o, hubAddress: address });
  const old = hub.private;
  if (probe.hubAddress === lab.hubNames.privateAddress) return;
  const next = await startMqttListener(
    lab,
    started,
    hubPrivateSpec(lab, address, { port: old.port, wsPort: old.wsPort }),
  );
  hub.private = next;
  lab.hubNames.privateAddress = address;
  dns.setView('hub', dns.views.hub);
  handle.hub.address = address;
  log('hub private endpoint moved to %s', address);
  await old.close();
}

function checkTwinPatchFault(fault: { status: number; times?: number } | undefined): void {
  if (fault === undefined) return;
  if (
    typeof fault !== 'object' ||
    fault === null ||
    !Number.isInteger(fault.status) ||
    fault.status < 400 ||
    fault.status > 599
  )
    throw new InvalidOptionError('fault.status', 'expected an HTTP error status 400-599', 'Pass e.g. { status: 500 }.');
  if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0))
    throw new InvalidOptionError('fault.times', 'expected a positive integer', 'Pass e.g. { status: 500, times: 2 }.');
}

function checkDnsView(view: LabDnsView, target: 'dps' | 'hub'): void {
  if (!DNS_VIEWS.includes(view)) {
    throw new InvalidOptionError(
      'view',
      `${JSON.stringify(view)} is not a lab DNS view`,
      `Use one of ${DNS_VIEWS.join(', ')}.`,
    );
  }
  if (target !== 'dps' && target !== 'hub') {
    throw new InvalidOptionError('target', `${JSON.stringify(target)} is not 'dps' or 'hub'`, "Use 'dps' or 'hub'.");
  }
}

/**
 * {@link LabHandle.setFault}: protocol faults go to the fault table the DPS handler reads; certificate faults swap
 * the certificate both listeners of the target serve. Clearing globally also puts the good certificates back.
 */
function setFault(
  lab: LabState,
  listeners: { dps: ServiceListeners; hub: ServiceListeners },
  fault: LabFault | undefined,
  scope: { registrationId?: string; deviceId?: string } = {},
): void {
  const each = (target: 'dps' | 'hub', act: (l: Listener) => void): void =>
    [listeners[target].private, listeners[target].public].forEach(act);
  const serve = (target: 'dps' | 'hub', variant: 'good' | 'wrong-san' | 'expired'): void => {
    const cert = lab.pki.server(target, variant);
    each(target, (l) => l.setCertificate(cert));
  };
  if (fault === undefined) {
    if (scope.deviceId !== undefined) return lab.hubFaults.set(undefined, scope.deviceId);
    lab.faults.set(undefined, scope.registrationId);
    if (scope.registrationId === undefined) {
      lab.hubFaults.set(undefined);
      for (const target of ['dps', 'hub'] as const) {
        serve(target, 'good');
        each(target, (l) => l.setStalled(false));
      }
    }
    return;
  }
  checkFault(fault, scope);
  if (isListenerFault(fault)) {
    const target = fault.target ?? 'dps';
    if (fault.kind === 'tls-stall') each(target, (l) => l.setStalled(true));
    else serve(target, fault.kind === 'wrong-san' ? 'wrong-san' : 'expired');
    return;
  }
  if (isHubFault(fault)) return lab.hubFaults.set(fault, scope.deviceId);
  lab.faults.set(fault, scope.registrationId);
}
