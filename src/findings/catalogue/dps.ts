import type { FindingSpec } from '../spec';

type RegistrationFailedEvidence = { registrationId: string; errorCode?: number | string; errorMessage?: string };

/** What DPS rejected: the status and DPS's error body (errorCode, message, trackingId). */
type DpsRejectEvidence = {
  host: string;
  registrationId: string;
  step: string;
  status: number;
  errorCode?: number;
  message?: string;
  trackingId?: string;
};

const rejection = (e: DpsRejectEvidence): string =>
  `${e.status}${e.errorCode !== undefined ? ` (errorCode ${e.errorCode})` : ''}${e.message ? `: ${e.message}` : ''}`;

/**
 * The registrationState errorCodes seen in SDK fixtures and field reports (no official table exists), each with its
 * cause and fix. The first two are documented limits of DPS private endpoints.
 */
const FAILURE_CAUSES: Record<number, { cause: string; fix: string }> = {
  400207: {
    cause: 'custom allocation failed: DPS could not get a hub from the allocation Azure Function',
    fix:
      "DPS calls a custom allocation Function over the public network: a VNET-locked Function cannot serve it. Open the Function's " +
      'public endpoint to DPS (or use another allocation policy) and check the Function logs.',
  },
  400208: {
    cause: 'no IoT hub is linked for this enrollment',
    fix: 'Link an IoT hub to the DPS instance and select it in the enrollment or group allocation settings.',
  },
  400209: {
    cause: 'DPS could not reach, or is not authorised on, the hub it assigned',
    fix: 'DPS→hub traffic is not VNET traffic: a hub with public network access disabled or an IP filter that excludes DPS refuses it. Allow trusted Microsoft services on the hub (or relax the IP filter), and re-link the hub in DPS if the link is stale.',
  },
};

/** A 401 from DPS: at the address the socket reached, or through a proxy (whose own socket is all the device sees). */
type DpsUnauthorized = {
  host: string;
  address?: string;
  proxy?: string;
  registrationId: string;
  idScope: string;
  detail?: string;
};

/**
 * The deadline passed at `step`; at "tls", whether a handshake had completed (false: TCP connected, TLS silent) and
 * the proxy whose tunnel it went through, if any.
 */
type DpsTimeout = { host: string; step: string; timeoutMs: number; tlsCompleted?: boolean; proxy?: string };

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
    message: (e: DpsUnauthorized) =>
      e.proxy
        ? `DPS ${e.host}, reached through the HTTP CONNECT proxy ${e.proxy}, rejected registration ${e.registrationId} in ID scope ${e.idScope} ` +
          `(401 Unauthorized${e.detail ? `: ${e.detail}` : ''}). The proxy resolved ${e.host} itself: the device cannot see which address it connected to.`
        : `DPS ${e.host} at the private address ${e.address} rejected registration ${e.registrationId} in ID scope ${e.idScope} (401 Unauthorized${e.detail ? `: ${e.detail}` : ''}).`,
    remediation: (e: DpsUnauthorized) =>
      (e.proxy
        ? `Through a proxy a 401 has two causes the device cannot tell apart. First check the proxy's DNS: if ${e.proxy} resolves ${e.host} to the public endpoint ` +
          '(public network access disabled or IP-filtered answers a bare 401), link its resolver to the private DNS zone or forward azure-devices-provisioning.net ' +
          'to 168.63.129.16 inside the VNET, or bypass the proxy for the Azure endpoints. If the proxy does reach the private endpoint, check the enrollment: '
        : 'The network path is right; check the enrollment: ') +
      `ID scope ${e.idScope}, an enabled individual enrollment for ${e.registrationId} ` +
      'or an enrollment group whose CA / intermediate is verified, the certificate CN equal to the registration id, and for symmetric keys the derived device key.',
  } satisfies FindingSpec<DpsUnauthorized>,
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
    message: (e: RegistrationFailedEvidence) =>
      `DPS reported registration ${e.registrationId} as failed${e.errorCode !== undefined ? ` (errorCode ${e.errorCode})` : ''}${e.errorMessage ? `: ${e.errorMessage.replace(/\.$/, '')}` : ''}` +
      `${FAILURE_CAUSES[Number(e.errorCode)] ? ` — ${FAILURE_CAUSES[Number(e.errorCode)].cause}` : ''}.`,
    remediation: (e: RegistrationFailedEvidence) =>
      FAILURE_CAUSES[Number(e.errorCode)]?.fix ??
      `Look up errorCode ${e.errorCode ?? '(none)'} in the DPS documentation and the DPS resource's diagnostic logs; usual causes: the ` +
        "enrollment's linked hub was removed, a custom allocation Azure Function is unreachable (a VNET-locked Function does not " +
        'work for allocation), or the hub rejected the device registration.',
  } satisfies FindingSpec<RegistrationFailedEvidence>,
  DPS_CUSTOM_ALLOCATION_FAILED: {
    severity: 'error',
    title: 'Custom allocation failed (400207): the allocation Function cannot serve DPS',
    message: (e: { registrationId: string; errorMessage?: string }) =>
      `DPS could not allocate ${e.registrationId} through the enrollment's custom allocation Azure Function (400207${e.errorMessage ? `: ${e.errorMessage}` : ''}). ` +
      'A documented limit of DPS private endpoints: DPS calls the Function over the public network, so a Function locked into a VNET ' +
      '(private endpoint only, access restrictions) cannot be reached.',
    remediation: () =>
      "Allow DPS to reach the Function's public endpoint (or use a static/hashed allocation policy instead of custom allocation), " +
      'and check the Function logs for exceptions or a response that is not a valid allocation result.',
  } satisfies FindingSpec<{ registrationId: string; errorMessage?: string }>,
  DPS_NO_HUB_LINKED: {
    severity: 'error',
    title: 'No IoT hub linked for the enrollment (400208)',
    message: (e: { registrationId: string; errorMessage?: string }) =>
      `DPS found no linked IoT hub to assign ${e.registrationId} to (400208${e.errorMessage ? `: ${e.errorMessage}` : ''}).`,
    remediation: () =>
      'Link an IoT hub to the DPS instance (Linked IoT hubs) and select it in the enrollment or group allocation settings; ' +
      'a hub that was deleted and re-created must be linked again.',
  } satisfies FindingSpec<{ registrationId: string; errorMessage?: string }>,
  DPS_HUB_REFUSED_DPS: {
    severity: 'error',
    title: 'DPS could not register the device in the hub it assigned (400209)',
    message: (e: { registrationId: string; errorMessage?: string }) =>
      `DPS could not create ${e.registrationId} in the hub it assigned (400209${e.errorMessage ? `: ${e.errorMessage}` : ''}): DPS is not ` +
      'authorised on that hub or cannot reach it. A documented limit of private endpoints: DPS→hub traffic is not VNET traffic, ' +
      'so a hub with public network access disabled or an IP filter that excludes DPS refuses it.',
    remediation: () =>
      "On the hub, allow DPS through: keep public network access enabled for trusted Microsoft services (the hub's 'Allow trusted " +
      "Microsoft services' exception) or relax the IP filter; then re-link the hub in DPS if its connection string was rotated (stale link).",
  } satisfies FindingSpec<{ registrationId: string; errorMessage?: string }>,
  DPS_ENROLLMENT_DISABLED: {
    severity: 'error',
    title: 'The enrollment or group is disabled in DPS',
    message: (e: { host: string; registrationId: string }) =>
      `DPS ${e.host} answered status "disabled" for ${e.registrationId}: the enrollment or the enrollment group is disabled in DPS.`,
    remediation: (e: { registrationId: string }) =>
      `Enable the individual enrollment ${e.registrationId}, or the enrollment group that admits it, in the DPS resource (Manage enrollments); ` +
      'the network path and the credentials are fine. If it was disabled on purpose, this device must not provision.',
  } satisfies FindingSpec<{ host: string; registrationId: string }>,
  DPS_REGISTRATION_UNASSIGNED: {
    severity: 'error',
    title: 'DPS answered status unassigned',
    message: (e: { host: string; registrationId: string }) =>
      `DPS ${e.host} answered status "unassigned" for ${e.registrationId}: the registration exists but no hub was assigned.`,
    remediation: () =>
      'Check the allocation policy and the linked hubs of the enrollment (a hub must be selected and reachable by DPS), then register again.',
  } satisfies FindingSpec<{ host: string; registrationId: string }>,
  DPS_UNEXPECTED_STATUS: {
    severity: 'error',
    title: 'DPS answered with a registration status this client does not know',
    message: (e: { host: string; status: string; excerpt: string }) =>
      `DPS ${e.host} answered well-formed JSON with the registration status ${JSON.stringify(e.status)}, which is none of ` +
      `assigned, assigning, failed, disabled, unassigned (body starts ${JSON.stringify(e.excerpt)}).`,
    remediation: () =>
      'A newer DPS api-version may have added a status: update dps-private-link and the Azure IoT SDK; if the peer is not Azure DPS, ' +
      'check that DNS answers the real private endpoint.',
  } satisfies FindingSpec<{ host: string; status: string; excerpt: string }>,
  DPS_API_VERSION_UNSUPPORTED: {
    severity: 'error',
    title: 'DPS does not support the api-version (400004)',
    message: (e: DpsRejectEvidence & { apiVersion: string; cloud: string }) =>
      `DPS ${e.host} (${e.cloud} cloud) refused api-version ${e.apiVersion} with 400004${e.message ? `: ${e.message}` : ''}.`,
    remediation: (e: { apiVersion: string; cloud: string }) =>
      `Use an api-version the ${e.cloud} cloud supports: Azure Government and Azure China lag the public cloud, so stay on ` +
      `2019-03-31 there${e.apiVersion === '2019-03-31' ? ' (already used: check that the host really is DPS)' : ''}.`,
  } satisfies FindingSpec<DpsRejectEvidence & { apiVersion: string; cloud: string }>,
  DPS_BAD_REQUEST: {
    severity: 'error',
    title: 'DPS rejected the request as invalid',
    message: (e: DpsRejectEvidence) =>
      `DPS ${e.host} rejected the ${e.step} request for ${e.registrationId} with ${rejection(e)}.`,
    remediation: () =>
      'Check the ID scope, the registration id (1-128 of a-z, 0-9, - . _ :) and the payload; the network path is fine.',
  } satisfies FindingSpec<DpsRejectEvidence>,
  DPS_FORBIDDEN: {
    severity: 'error',
    title: 'DPS refused the request (403)',
    message: (e: DpsRejectEvidence) =>
      `DPS ${e.host} refused the ${e.step} request for ${e.registrationId} with ${rejection(e)}.`,
    remediation: () =>
      "Check the DPS resource: a quota or a limit on the enrollment (e.g. too many registrations), or the DPS instance's own " +
      'networking rules; the credentials were accepted.',
  } satisfies FindingSpec<DpsRejectEvidence>,
  DPS_NOT_FOUND: {
    severity: 'error',
    title: 'DPS does not know the registration or operation (404)',
    message: (e: DpsRejectEvidence & { idScope: string }) =>
      `DPS ${e.host} answered ${rejection(e)} to the ${e.step} request for ${e.registrationId} in ID scope ${e.idScope}.`,
    remediation: (e: { idScope: string; registrationId: string }) =>
      `Check the ID scope (${e.idScope}) and the registration id (${e.registrationId}) against the DPS resource; a 404 while polling ` +
      'means the operation expired or belongs to another registration: register again.',
  } satisfies FindingSpec<DpsRejectEvidence & { idScope: string }>,
  DPS_REGISTRATION_CONFLICT: {
    severity: 'error',
    title: 'A concurrent registration of the same device (409)',
    message: (e: DpsRejectEvidence & { attempts: number }) =>
      `DPS ${e.host} answered ${rejection(e)} to ${e.registrationId}, ${e.attempts} time(s): another registration of the same id was in progress.`,
    remediation: () =>
      'Make sure only one process (and one device) uses this registration id; retried once after a pause already — retry later.',
  } satisfies FindingSpec<DpsRejectEvidence & { attempts: number }>,
  DPS_PRECONDITION_FAILED: {
    severity: 'error',
    title: 'DPS precondition failed (412)',
    message: (e: DpsRejectEvidence) =>
      `DPS ${e.host} answered ${rejection(e)} to the ${e.step} request for ${e.registrationId}.`,
    remediation: () =>
      'The registration record changed under the request (etag mismatch): register again; if it persists, check that nothing else updates the enrollment.',
  } satisfies FindingSpec<DpsRejectEvidence>,
  DPS_ASSIGNED_HUB_INVALID: {
    severity: 'error',
    title: 'DPS assigned a hub whose name is not a hub host name',
    message: (e: { host: string; assignedHub: string; problem: string }) =>
      `DPS ${e.host} assigned the hub ${e.assignedHub}, which is not an IoT hub host name (${e.problem}).`,
    remediation: () =>
      'The device options are fine: the answer came from DPS (or a peer impersonating it). Check the linked hubs in the DPS resource ' +
      '(and a custom allocation Function, which returns the hub name) and that DNS answers the real private endpoint.',
  } satisfies FindingSpec<{ host: string; assignedHub: string; problem: string }>,
  DPS_DEVICE_ID_INVALID: {
    severity: 'error',
    title: 'DPS assigned a device id that IoT Hub cannot use',
    message: (e: { host: string; deviceId: string; problem: string }) =>
      `DPS ${e.host} assigned the device id ${e.deviceId}, which IoT Hub does not accept (${e.problem}).`,
    remediation: () =>
      'Check the enrollment (or the custom allocation Function that sets the device id): IoT Hub device ids are 1-128 letters, ' +
      "digits and - . + % _ # * ? ! ( ) , : = @ $ '.",
  } satisfies FindingSpec<{ host: string; deviceId: string; problem: string }>,
  DPS_TIMEOUT: {
    severity: 'error',
    title: 'Provisioning deadline passed',
    message: (e: DpsTimeout) =>
      `Provisioning through ${e.host} did not finish within ${e.timeoutMs} ms; it was stuck at step "${e.step}"` +
      `${e.tlsCompleted === false ? ' (TCP connected, no TLS answer)' : ''}.`,
    // The advice follows the evidence: what was being waited for when time ran out.
    remediation: (e: DpsTimeout) => {
      switch (e.step) {
        case 'resolving':
          return `The DNS server did not answer for ${e.host} in time: check that network.dnsServers (or the system resolver) is reachable from the device and forwards azure-devices-provisioning.net to a resolver inside the VNET.`;
        case 'tls':
          if (e.tlsCompleted === false && e.proxy) {
            return (
              `The proxy ${e.proxy} opened the tunnel to ${e.host}, but no TLS answer came back through it: the silence is on the proxy's side. ` +
              `Check the proxy's own DNS for ${e.host} (it must resolve to the private endpoint) and its route and firewall to that endpoint, or bypass the proxy for the Azure endpoints.`
            );
          }
          if (e.tlsCompleted === false) {
            return (
              `TCP to ${e.host} connected, so the route to the private endpoint and its port work, but the TLS handshake got no answer: ` +
              'most often an MTU black hole on the VPN / ExpressRoute path (clamp the tunnel\'s TCP MSS or lower its MTU, let ICMP "fragmentation needed" through), ' +
              'or an IPS / firewall dropping the ClientHello (see TLS_HANDSHAKE_STALLED).'
            );
          }
          return `Packets to ${e.host} get no answer: check the route to the private endpoint (VPN, peering, NSG on 8883/443) and that the endpoint is Approved.`;
        case 'connecting':
          return `Packets to ${e.host} get no answer: check the route to the private endpoint (VPN, peering, NSG on 8883/443) and that the endpoint is Approved.`;
        case 'verifying hub':
          return 'DPS assigned a hub, but resolving the hub name did not finish in time: check that the DNS server answers for azure-devices.net (the hub zone), or raise timeoutMs.';
        default:
          return 'DPS accepted the connection but did not answer in time: retry later, check Azure Service Health, or raise timeoutMs.';
      }
    },
  } satisfies FindingSpec<DpsTimeout>,
  DPS_MALFORMED_RESPONSE: {
    severity: 'error',
    title: 'DPS sent a response that is not JSON or lacks a required field',
    message: (e: { host: string; topic: string; excerpt: string; field?: string }) =>
      e.field
        ? `DPS ${e.host} answered on ${e.topic} with JSON that lacks the required field ${e.field} (starts with ${JSON.stringify(e.excerpt)}).`
        : `DPS ${e.host} answered on ${e.topic} with a body that is not valid JSON (starts with ${JSON.stringify(e.excerpt)}).`,
    remediation: (e: { host: string }) =>
      `The peer behind ${e.host} is not behaving like Azure DPS: check that DNS answers the real private endpoint and that no proxy rewrites traffic.`,
  } satisfies FindingSpec<{ host: string; topic: string; excerpt: string; field?: string }>,
  DPS_CONNECTION_LOST: {
    severity: 'error',
    title: 'DPS closed the connection',
    // Through a tunnel the socket's peer is the proxy: the device cannot tell the proxy's close from DPS's.
    message: (e: { host: string; address?: string; proxy?: string; step: string; detail: string }) =>
      e.proxy
        ? `The connection to DPS ${e.host} through the HTTP CONNECT proxy ${e.proxy} closed while ${e.step}: ${e.detail}; ` +
          'the proxy or the service behind it ended the tunnel (the device cannot see which).'
        : `The connection to DPS ${e.host}${e.address ? ` (${e.address})` : ''} closed while ${e.step}: ${e.detail}.`,
    remediation: (e: { proxy?: string }) =>
      'Check for middleboxes that drop long-lived TLS connections on 8883/443, and retry; if it persists, check Azure Service Health.' +
      (e.proxy
        ? ` Through the proxy ${e.proxy}, check its log for the tunnel to DPS (idle or connection-length limits, its route to the ` +
          'private endpoint), or bypass the proxy for the Azure endpoints to tell the two apart.'
        : ''),
  } satisfies FindingSpec<{ host: string; address?: string; proxy?: string; step: string; detail: string }>,
  DPS_CACHE_CORRUPT: {
    severity: 'warning',
    title: 'Provisioning cache unreadable; replaced',
    message: (e: { path: string; detail: string }) =>
      `The provisioning cache ${e.path} could not be used (${e.detail}); the device provisioned again and rewrote it.`,
    remediation: (e: { path: string }) =>
      `Nothing to do if it does not recur; otherwise check the storage holding ${e.path} (power loss, full disk, another writer).`,
  } satisfies FindingSpec<{ path: string; detail: string }>,
  DPS_CACHE_UNTRUSTED: {
    severity: 'warning',
    title: 'Provisioning cache not trusted; not used',
    message: (e: { path: string; detail: string }) =>
      `The provisioning cache ${e.path} was not used: ${e.detail}. Its hub name decides where the device connects, so ` +
      `only a record this process's user alone could have written is trusted; the device provisioned again.`,
    remediation: (e: { path: string }) =>
      `Keep ${e.path} in a directory only the device's service user can write (e.g. systemd StateDirectory=, mode ` +
      `0700), owned by that user, mode 0600, not a symbolic link; then remove the untrusted file.`,
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
