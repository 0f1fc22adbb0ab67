import ipaddr from 'ipaddr.js';
import { InvalidOptionError } from '../errors';
import { checkClockOffset } from './clock';
import type { LabOptions } from './types';

/** LabOptions with every default filled in. */
export type ResolvedLabOptions = Required<LabOptions>;

/** The defaults, in one place. wsPort depends on whether we may bind 443. */
export const LAB_DEFAULTS: Omit<ResolvedLabOptions, 'wsPort'> = {
  dnsAddress: '127.0.0.53',
  dnsPort: 0,
  vnetCidr: '127.10.0.0/16',
  dpsAddress: '127.10.0.10',
  hubAddress: '127.10.0.20',
  publicTwinAddress: '127.200.0.1',
  hubPublicTwinAddress: '127.200.0.2',
  mqttPort: 8883,
  dpsName: 'lab-dps',
  hubName: 'lab-hub',
  idScope: '0ne00000A1B',
  retryAfterSeconds: 1,
  privatelinkSans: false,
  clockOffsetMs: 0,
  badCredentials: 'after-connack',
  responseQueryOrder: 'rid-first',
  apiVersions: ['2019-03-31', '2021-06-01', '2021-10-01', '2022-02-01', '2022-12-01'],
  hubHostnameStyle: 'classic',
};

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Validate lab options at the door and fill in defaults. Never mutates `options`. */
export function resolveLabOptions(options: LabOptions = {}): ResolvedLabOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(
      'options',
      `expected an object, got ${String(options)}`,
      'Pass a LabOptions object or nothing.',
    );
  }
  const o: ResolvedLabOptions = { ...LAB_DEFAULTS, wsPort: isRoot() ? 443 : 8443, ...stripUndefined(options) };
  // in this order, so that with several bad fields the first one named is the same as it always was
  checkAddresses(o);
  checkPorts(o);
  checkNames(o);
  checkBehaviour(o);
  return o;
}

/** Every address loopback; the private endpoints inside the VNET, the public twins outside; no address twice. */
function checkAddresses(o: ResolvedLabOptions): void {
  for (const field of [
    'dnsAddress',
    'dpsAddress',
    'hubAddress',
    'publicTwinAddress',
    'hubPublicTwinAddress',
  ] as const) {
    loopback(field, o[field]);
  }
  if (typeof o.vnetCidr !== 'string' || !ipaddr.isValidCIDR(o.vnetCidr)) {
    throw new InvalidOptionError(
      'vnetCidr',
      `${JSON.stringify(o.vnetCidr)} is not a CIDR`,
      "Use e.g. '127.10.0.0/16'.",
    );
  }
  const vnet = ipaddr.parseCIDR(o.vnetCidr);
  const inVnet = (a: string): boolean => {
    const addr = ipaddr.parse(a);
    return addr.kind() === vnet[0].kind() && addr.match(vnet);
  };
  for (const field of ['dpsAddress', 'hubAddress'] as const) {
    if (!inVnet(o[field])) {
      throw new InvalidOptionError(
        field,
        `${o[field]} is outside the lab VNET ${o.vnetCidr}`,
        `Pick an address inside ${o.vnetCidr}.`,
      );
    }
  }
  for (const field of ['publicTwinAddress', 'hubPublicTwinAddress'] as const) {
    if (inVnet(o[field])) {
      throw new InvalidOptionError(
        field,
        `${o[field]} is inside the lab VNET ${o.vnetCidr}`,
        'A public endpoint must be outside the VNET, e.g. 127.200.0.1.',
      );
    }
  }
  const distinct = new Map<string, string>();
  for (const field of ['dpsAddress', 'hubAddress', 'publicTwinAddress', 'hubPublicTwinAddress'] as const) {
    const other = distinct.get(o[field]);
    if (other)
      throw new InvalidOptionError(
        field,
        `${o[field]} is already ${other}`,
        'Every lab endpoint needs its own address.',
      );
    distinct.set(o[field], field);
  }
}

function checkPorts(o: ResolvedLabOptions): void {
  for (const field of ['dnsPort', 'mqttPort', 'wsPort'] as const) port(field, o[field]);
  if (o.mqttPort !== 0 && o.mqttPort === o.wsPort) {
    throw new InvalidOptionError(
      'wsPort',
      `${o.wsPort} is also mqttPort`,
      'Use different ports for MQTT and WebSockets.',
    );
  }
}

/** The DPS and hub resource names and the ID scope. */
function checkNames(o: ResolvedLabOptions): void {
  for (const field of ['dpsName', 'hubName'] as const) {
    if (typeof o[field] !== 'string' || !/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/.test(o[field])) {
      throw new InvalidOptionError(
        field,
        `${JSON.stringify(o[field])} is not a valid resource name`,
        'Use 3-63 lower-case letters, digits and hyphens.',
      );
    }
  }
  if (typeof o.idScope !== 'string' || !/^0ne[0-9A-Fa-f]{8}$/.test(o.idScope)) {
    throw new InvalidOptionError(
      'idScope',
      `${JSON.stringify(o.idScope)} is not a DPS ID scope`,
      "Use '0ne' followed by 8 hex digits, e.g. '0ne00000A1B'.",
    );
  }
}

/** retry-after, the privatelink SANs switch and the clock offset. */
function checkBehaviour(o: ResolvedLabOptions): void {
  if (
    typeof o.retryAfterSeconds !== 'number' ||
    !Number.isInteger(o.retryAfterSeconds) ||
    o.retryAfterSeconds < 0 ||
    o.retryAfterSeconds > 3600
  ) {
    throw new InvalidOptionError(
      'retryAfterSeconds',
      `${String(o.retryAfterSeconds)} is not a whole number of seconds 0-3600`,
      'Use 0 in tests, 1-3 to look like DPS.',
    );
  }
  if (typeof o.privatelinkSans !== 'boolean') {
    throw new InvalidOptionError(
      'privatelinkSans',
      `${String(o.privatelinkSans)} is not a boolean`,
      'Use true or false.',
    );
  }
  checkClockOffset('clockOffsetMs', o.clockOffsetMs);
  checkDpsBehaviour(o);
  oneOf('hubHostnameStyle', o.hubHostnameStyle, ['classic', 'device']);
}

/** The fields {@link LabHandle.setBehaviour} may change, checked the same way at start and at run time. */
export function checkDpsBehaviour(b: Pick<LabOptions, 'badCredentials' | 'responseQueryOrder' | 'apiVersions'>): void {
  if (b.badCredentials !== undefined) oneOf('badCredentials', b.badCredentials, ['after-connack', 'connack']);
  if (b.responseQueryOrder !== undefined) {
    oneOf('responseQueryOrder', b.responseQueryOrder, ['rid-first', 'retry-after-first']);
  }
  if (
    b.apiVersions !== undefined &&
    (!Array.isArray(b.apiVersions) ||
      b.apiVersions.some((v) => typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(v)))
  ) {
    throw new InvalidOptionError(
      'apiVersions',
      `${JSON.stringify(b.apiVersions)} is not a list of api-versions`,
      "Use e.g. ['2019-03-31'].",
    );
  }
}

function oneOf(field: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new InvalidOptionError(
      field,
      `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
      `Use ${allowed.map((a) => `'${a}'`).join(' or ')}.`,
    );
  }
}

function stripUndefined(o: LabOptions): Partial<LabOptions> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<LabOptions>;
}

function loopback(field: string, value: unknown): void {
  if (typeof value !== 'string' || !ipaddr.isValid(value)) {
    throw new InvalidOptionError(
      field,
      `${JSON.stringify(value)} is not an IP address`,
      'Use a loopback address such as 127.10.0.10.',
    );
  }
  if (ipaddr.parse(value).range() !== 'loopback') {
    throw new InvalidOptionError(
      field,
      `${value} is not a loopback address`,
      'The lab binds loopback only: use 127.0.0.0/8 or ::1.',
    );
  }
}

function port(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new InvalidOptionError(field, `${String(value)} is not a port`, 'Use an integer 0-65535 (0 = ephemeral).');
  }
}
