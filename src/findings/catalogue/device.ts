import type { FindingSpec } from '../spec';

/** Evidence about the device certificate as read from the device's files. */
export type DeviceCertEvidence = {
  /** The file the certificate came from (never its content). */
  certFile?: string;
  subject: string;
  /** The certificate's Common Name, if any. */
  commonName?: string;
  notBefore: string;
  notAfter: string;
  /** Current time on the device, ISO 8601. */
  now: string;
  /** Days until notAfter (negative when already expired). */
  daysLeft?: number;
  fingerprint256?: string;
};

/** Evidence when the private key does not belong to the certificate. */
export type DeviceKeyMismatchEvidence = {
  certFile?: string;
  keyFile?: string;
  subject: string;
  certKeyType: string;
  keyType: string;
};

/** Evidence when the certificate CN is not the registration id. */
export type DeviceCnMismatchEvidence = {
  certFile?: string;
  commonName: string | null;
  registrationId: string;
};

/** Evidence when the certificates in the device file do not form a chain, leaf first. */
export type DeviceCertChainEvidence = {
  certFile?: string;
  /** 1-based position of the certificate whose link to the next one is broken. */
  position: number;
  subject: string;
  /** The issuer that certificate names. */
  issuer: string;
  /** The certificate that follows it in the file. */
  nextSubject: string;
  /** `not-signed-by-next`: the next certificate did not issue it; `next-not-ca`: the next one is not a CA. */
  reason: 'not-signed-by-next' | 'next-not-ca';
};

/** Evidence comparing the device clock with a server clock. */
export type ClockSkewEvidence = {
  /** Where the reference time came from, e.g. `SNTP 127.0.0.1:1123` or `HTTP Date header from 127.10.0.10:443`. */
  source: string;
  deviceTime: string;
  serverTime: string;
  /** device minus server, in seconds (positive: device clock is ahead). */
  skewSeconds: number;
  /** The tolerance used, in seconds. */
  thresholdSeconds: number;
};

/** Evidence when the NTP server says its own clock is not synchronised. */
export type ClockSourceUnsynchronisedEvidence = {
  /** The NTP server as `ip:port`. */
  server: string;
  /** 3 is the alarm condition (not synchronised). */
  leapIndicator: number;
  /** 0 is unspecified or kiss-of-death, 16 unsynchronised. */
  stratum: number;
  /** The kiss code at stratum 0 (RATE, DENY, RSTR…). */
  kissCode?: string;
};

function unsynchronisedBecause(e: ClockSourceUnsynchronisedEvidence): string {
  const why: string[] = [];
  if (e.leapIndicator === 3) why.push('leap indicator 3, alarm');
  if (e.stratum === 16) why.push('stratum 16, unsynchronised');
  if (e.stratum === 0) why.push(e.kissCode ? `stratum 0, kiss code ${e.kissCode}` : 'stratum 0, unspecified');
  return why.join('; ');
}

function cn(e: { commonName?: string | null; subject: string }): string {
  return e.commonName ? `"${e.commonName}"` : `"${e.subject}"`;
}

/** Findings about device. Codes never change once shipped. */
export const deviceFindings = {
  DEVICE_CERT_EXPIRED: {
    severity: 'error',
    title: 'Device certificate has expired',
    message: (e) =>
      `The device certificate ${cn(e)}${e.certFile ? ` (${e.certFile})` : ''} expired on ${e.notAfter}; it is now ${e.now}. ` +
      `DPS rejects an expired client certificate during the TLS handshake or with 401.`,
    remediation: (e) =>
      `Issue a new device certificate for ${cn(e)} from the CA behind its enrollment (for a group enrollment, the same ` +
      `intermediate/root CA; for an individual enrollment, update the enrollment's primary or secondary certificate ` +
      `in the DPS instance) and install it with its key. If the date looks wrong, the device clock is wrong: fix NTP first.`,
  } satisfies FindingSpec<DeviceCertEvidence>,
  DEVICE_CERT_NOT_YET_VALID: {
    severity: 'error',
    title: 'Device certificate is not valid yet',
    message: (e) =>
      `The device certificate ${cn(e)}${e.certFile ? ` (${e.certFile})` : ''} is valid only from ${e.notBefore}; ` +
      `the device clock says ${e.now}.`,
    remediation: () =>
      `Either the device clock is behind (set up time synchronisation — an NTP server reachable inside the VNET — and ` +
      `re-run dps-check with --ntp-server) or the certificate was issued with a future start date: re-issue it with ` +
      `notBefore in the past.`,
  } satisfies FindingSpec<DeviceCertEvidence>,
  DEVICE_CERT_EXPIRES_SOON: {
    severity: 'warning',
    title: 'Device certificate expires within 30 days',
    message: (e) =>
      `The device certificate ${cn(e)}${e.certFile ? ` (${e.certFile})` : ''} expires on ${e.notAfter} ` +
      `(${e.daysLeft ?? '?'} days left).`,
    remediation: (e) =>
      `Roll the certificate before ${e.notAfter}: issue a new one for ${cn(e)} from the enrollment's CA, add it as the ` +
      `enrollment's secondary certificate (individual enrollment) or keep the same CA (group), install it on the ` +
      `device, then re-provision.`,
  } satisfies FindingSpec<DeviceCertEvidence>,
  DEVICE_KEY_MISMATCH: {
    severity: 'error',
    title: 'Private key does not match the device certificate',
    message: (e) =>
      `The private key${e.keyFile ? ` in ${e.keyFile}` : ''} (${e.keyType}) does not belong to the certificate ` +
      `"${e.subject}"${e.certFile ? ` in ${e.certFile}` : ''} (${e.certKeyType} public key). The TLS handshake with DPS ` +
      `would fail at client authentication.`,
    remediation: (e) =>
      `Use the key generated together with "${e.subject}" (auth.key in code; --key or keyFile in the config for ` +
      `dps-check), or re-issue the ` +
      `certificate from a CSR made with this key. Files are often swapped between devices during imaging.`,
  } satisfies FindingSpec<DeviceKeyMismatchEvidence>,
  DEVICE_CERT_CN_MISMATCH: {
    severity: 'error',
    title: 'Certificate Common Name is not the registration id',
    message: (e) =>
      `The device certificate's Common Name is ${e.commonName === null ? 'missing' : `"${e.commonName}"`} but the ` +
      `registration id is "${e.registrationId}". DPS requires the registration id to equal the certificate CN for ` +
      `X.509 attestation.`,
    remediation: (e) =>
      e.commonName
        ? `Use --registration-id "${e.commonName}" (or registrationId in the config), or issue a certificate whose ` +
          `subject is CN=${e.registrationId}.`
        : `Issue a certificate whose subject is CN=${e.registrationId}.`,
  } satisfies FindingSpec<DeviceCnMismatchEvidence>,
  DEVICE_CERT_CHAIN_BROKEN: {
    severity: 'error',
    title: 'Certificate file is not an ordered chain',
    message: (e) =>
      `In the device certificate file${e.certFile ? ` ${e.certFile}` : ''}, ` +
      `certificate ${e.position} ("${e.subject}") ` +
      (e.reason === 'next-not-ca'
        ? `is followed by "${e.nextSubject}", which is not a CA certificate (basicConstraints CA:FALSE). `
        : `is not signed by certificate ${e.position + 1} ("${e.nextSubject}"); its issuer is "${e.issuer}". `) +
      `The device sends the file as its chain: DPS cannot build the path to the enrolled CA and answers 401.`,
    remediation: () =>
      `Put the device certificate first, then its issuing intermediate, then the next CA up, and leave out any ` +
      `certificate that is not part of that chain (a foreign or duplicated certificate breaks it too).`,
  } satisfies FindingSpec<DeviceCertChainEvidence>,
  CLOCK_SKEW: {
    severity: 'error',
    title: 'Device clock differs from the server clock',
    message: (e) =>
      `The device clock (${e.deviceTime}) is ${Math.abs(e.skewSeconds)} s ${e.skewSeconds > 0 ? 'ahead of' : 'behind'} ` +
      `the reference time ${e.serverTime} (source: ${e.source}); more than ${e.thresholdSeconds} s. Certificates look ` +
      `expired or not yet valid and SAS tokens are rejected with 401.`,
    remediation: () =>
      `Synchronise the device clock (systemd-timesyncd / chrony) with an NTP server the device can reach inside the ` +
      `VNET or on-prem (public pools such as pool.ntp.org are usually blocked there); on devices without an RTC, wait for ` +
      `time sync before provisioning.`,
  } satisfies FindingSpec<ClockSkewEvidence>,
  CLOCK_SOURCE_UNSYNCHRONISED: {
    severity: 'warning',
    title: 'The NTP server is not synchronised itself',
    message: (e) =>
      `The NTP server ${e.server} says it is not synchronised (${unsynchronisedBecause(e)}): its time is only its ` +
      `own free-running clock, so it is not used as the reference.`,
    remediation: (e) =>
      (e.kissCode === 'RATE'
        ? `${e.server} tells the device to ask less often (RATE): lengthen the poll interval of the device's NTP client. `
        : e.kissCode === 'DENY' || e.kissCode === 'RSTR'
          ? `${e.server} refuses this device (${e.kissCode}): allow the device's subnet in its access rules. `
          : '') +
      `Give ${e.server} an upstream time source it can reach (another NTP server inside the VNET or on-prem, a ` +
      `GPS/PTP reference, or the Azure host clock through the VM's PTP device) and check it with \`chronyc tracking\` ` +
      `or \`ntpq -p\`; a server that has just started answers like this until its first sync. Devices that sync ` +
      `from it keep whatever time they had.`,
  } satisfies FindingSpec<ClockSourceUnsynchronisedEvidence>,
  // Each spec has its own evidence type; `any` is what lets them share one record.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} satisfies Record<string, FindingSpec<any>>;
