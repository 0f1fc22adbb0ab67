import type { FindingSpec } from '../spec';

/** Findings about the DPS registration itself (owned by the provision module). Codes never change once shipped. */
export const dpsFindings = {
  DPS_UNAUTHORIZED_PUBLIC: {
    severity: 'error',
    title: '401 from the public DPS endpoint',
    message: (e: { host: string; address: string; expectedCidrs: string[]; detail?: string }) =>
      `DPS ${e.host} answered 401 Unauthorized after a good TLS handshake at ${e.address}, which is outside ${e.expectedCidrs.join(', ')}: ` +
      'you reached the public endpoint, where public network access is disabled or IP-filtered.',
    remediation: (e: { host: string }) =>
      `Fix DNS, not the credentials: ${e.host} must resolve to the private endpoint. Link the private DNS zone ` +
      "privatelink.azure-devices-provisioning.net to the resolver's VNET, or forward the azure-devices-provisioning.net zone " +
      '(not the privatelink one) to a resolver inside the VNET (Azure DNS 168.63.129.16); keep policy "enforce" so this cannot recur silently.',
  } satisfies FindingSpec<{ host: string; address: string; expectedCidrs: string[]; detail?: string }>,
  DPS_UNAUTHORIZED: {
    severity: 'error',
    title: '401 from the private DPS endpoint',
    message: (e: { host: string; address: string; registrationId: string; idScope: string; detail?: string }) =>
      `DPS ${e.host} at the private address ${e.address} rejected registration ${e.registrationId} in ID scope ${e.idScope} (401 Unauthorized${e.detail ? `: ${e.detail}` : ''}).`,
    remediation: (e: { registrationId: string; idScope: string }) =>
      `The network path is right; check the enrollment: ID scope ${e.idScope}, an enabled individual enrollment for ${e.registrationId} ` +
      'or an enrollment group whose CA / intermediate is verified, the certificate CN equal to the registration id, and for symmetric keys the derived device key.',
  } satisfies FindingSpec<{ host: string; address: string; registrationId: string; idScope: string; detail?: string }>,
  DPS_THROTTLED: {
    severity: 'error',
    title: 'DPS kept throttling (429); retries exhausted',
    message: (e: { host: string; attempts: number; lastStatus: number; retryAfterSeconds?: number }) =>
      `DPS ${e.host} answered ${e.lastStatus} ${e.attempts} times in a row${e.retryAfterSeconds !== undefined ? ` (last retry-after ${e.retryAfterSeconds} s)` : ''}; gave up after the retry budget.`,
    remediation: () =>
      'Spread device start-up over time (the DPS registration quota is per DPS unit), raise retry.maxAttempts or timeoutMs if the fleet restarts at once, ' +
      'and check Azure Service Health for DPS incidents in the region.',
  } satisfies FindingSpec<{ host: string; attempts: number; lastStatus: number; retryAfterSeconds?: number }>,
  DPS_SERVER_ERROR: {
    severity: 'error',
    title: 'DPS kept answering with server errors; retries exhausted',
    message: (e: { host: string; attempts: number; lastStatus: number; retryAfterSeconds?: number }) =>
      `DPS ${e.host} answered with the server error ${e.lastStatus} ${e.attempts} times in a row${e.retryAfterSeconds !== undefined ? ` (last retry-after ${e.retryAfterSeconds} s)` : ''}; gave up after the retry budget.`,
    remediation: () =>
      'The service side is failing, not the device or the network path: check Azure Service Health and the DPS resource health for the region, ' +
      'and retry later (raise retry.maxAttempts or timeoutMs to ride out short incidents).',
  } satisfies FindingSpec<{ host: string; attempts: number; lastStatus: number; retryAfterSeconds?: number }>,
  DPS_REGISTRATION_FAILED: {
    severity: 'error',
    title: 'DPS registration status failed',
    message: (e: { registrationId: string; errorCode?: number | string; errorMessage?: string }) =>
      `DPS reported registration ${e.registrationId} as failed${e.errorCode !== undefined ? ` (errorCode ${e.errorCode})` : ''}${e.errorMessage ? `: ${e.errorMessage}` : ''}.`,
    remediation: () =>
      "Look up the errorCode in the DPS documentation; usual causes: the enrollment's linked hub was removed, a custom allocation " +
      'Azure Function is unreachable (a VNET-locked Function does not work for allocation), or the hub rejected the device registration.',
  } satisfies FindingSpec<{ registrationId: string; errorCode?: number | string; errorMessage?: string }>,
  DPS_TIMEOUT: {
    severity: 'error',
    title: 'Provisioning deadline passed',
    message: (e: { host: string; step: string; timeoutMs: number }) =>
      `Provisioning through ${e.host} did not finish within ${e.timeoutMs} ms; it was stuck at step "${e.step}".`,
    // The advice follows the evidence: what was being waited for when time ran out.
    remediation: (e: { host: string; step: string }) => {
      switch (e.step) {
        case 'resolving':
          return `The DNS server did not answer for ${e.host} in time: check that network.dnsServers (or the system resolver) is reachable from the device and forwards azure-devices-provisioning.net to a resolver inside the VNET.`;
        case 'connecting':
        case 'tls':
          return `Packets to ${e.host} get no answer: check the route to the private endpoint (VPN, peering, NSG on 8883/443) and that the endpoint is Approved.`;
        case 'verifying hub':
          return 'DPS assigned a hub, but resolving the hub name did not finish in time: check that the DNS server answers for azure-devices.net (the hub zone), or raise timeoutMs.';
        default:
          return 'DPS accepted the connection but did not answer in time: retry later, check Azure Service Health, or raise timeoutMs.';
      }
    },
  } satisfies FindingSpec<{ host: string; step: string; timeoutMs: number }>,
  DPS_MALFORMED_RESPONSE: {
    severity: 'error',
    title: 'DPS sent a response that is not JSON',
    message: (e: { host: string; topic: string; excerpt: string }) =>
      `DPS ${e.host} answered on ${e.topic} with a body that is not valid JSON (starts with ${JSON.stringify(e.excerpt)}).`,
    remediation: (e: { host: string }) =>
      `The peer behind ${e.host} is not behaving like Azure DPS: check that DNS answers the real private endpoint and that no proxy rewrites traffic.`,
  } satisfies FindingSpec<{ host: string; topic: string; excerpt: string }>,
  DPS_CONNECTION_LOST: {
    severity: 'error',
    title: 'DPS closed the connection',
    message: (e: { host: string; address?: string; step: string; detail: string }) =>
      `The connection to DPS ${e.host}${e.address ? ` (${e.address})` : ''} closed while ${e.step}: ${e.detail}.`,
    remediation: () =>
      'Check for middleboxes that drop long-lived TLS connections on 8883/443, and retry; if it persists, check Azure Service Health.',
  } satisfies FindingSpec<{ host: string; address?: string; step: string; detail: string }>,
  DPS_CACHE_CORRUPT: {
    severity: 'warning',
    title: 'Provisioning cache unreadable; replaced',
    message: (e: { path: string; detail: string }) =>
      `The provisioning cache ${e.path} could not be used (${e.detail}); the device provisioned again and rewrote it.`,
    remediation: (e: { path: string }) =>
      `Nothing to do if it does not recur; otherwise check the storage holding ${e.path} (power loss, full disk, another writer).`,
  } satisfies FindingSpec<{ path: string; detail: string }>,
  DPS_CACHE_WRITE_FAILED: {
    severity: 'warning',
    title: 'Provisioned, but the cache could not be written',
    message: (e: { path: string; detail: string }) =>
      `DPS assigned the device, but the provisioning cache ${e.path} could not be written (${e.detail}); the next start will register with DPS again.`,
    remediation: (e: { path: string }) =>
      `Make the directory of ${e.path} writable by this process (and not full), or choose another cache.path; the assignment itself is valid and was returned.`,
  } satisfies FindingSpec<{ path: string; detail: string }>,
  // Each spec has its own evidence type; `any` is what lets them share one record.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} satisfies Record<string, FindingSpec<any>>;
