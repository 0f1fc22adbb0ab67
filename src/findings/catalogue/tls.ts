import type { FindingSpec } from '../spec';

/**
 * Where a connection attempt went: the DNS name, the pinned address and the port; through a CONNECT tunnel, the proxy
 * (`address:port`) instead of an address, since the device never learns where the proxy connected.
 */
type Target = {
  host: string;
  address?: string;
  port?: number;
  proxy?: string;
};

/** A CONNECT tunnel through a proxy: the service it was for and the proxy as `address:port`. */
type ProxyEvidence = { host: string; port?: number; proxy: string; detail: string };

const at = (e: Target): string =>
  e.proxy
    ? `${e.host}${e.port ? ` port ${e.port}` : ''} (through the HTTP CONNECT proxy ${e.proxy})`
    : `${e.host}${e.address ? ` (${e.address}${e.port ? `:${e.port}` : ''})` : ''}`;
/** The TCP path as the message names it: the addresses dialled, or the proxy whose tunnel carried the connection. */
const path = (e: Target & { addresses?: string[] }): string =>
  e.proxy
    ? `${e.port ? ` port ${e.port}` : ''} through the HTTP CONNECT proxy ${e.proxy}`
    : `${e.addresses?.length ? ` at ${e.addresses.join(', ')}` : e.address ? ` at ${e.address}` : ''}${e.port ? ` port ${e.port}` : ''}`;

/**
 * Findings about the TCP/TLS path to DPS or the hub (owned by the connection module).
 * Codes never change once shipped.
 */
export const tlsFindings = {
  TLS_VERSION_TOO_LOW: {
    severity: 'error',
    title: 'TLS version below policy',
    message: (e: Target & { minVersion: string; offered?: string; detail?: string }) =>
      `The server at ${at(e)} ${e.offered ? `negotiated ${e.offered}` : 'only offered a TLS version'} below the minimum ${e.minVersion}` +
      `${e.detail ? ` (${e.detail})` : ''}; the connection was closed before any credential or MQTT packet was sent.`,
    remediation: (e: Target & { minVersion: string }) =>
      `Azure DPS and IoT Hub accept TLS 1.2 only. A peer that negotiates less than ${e.minVersion} is not the Azure service: ` +
      `check that ${e.host} resolves to the DPS/hub private endpoint and that no TLS-inspecting proxy or legacy appliance sits in the path. ` +
      'Do not lower the policy (NODE_OPTIONS=--tls-min-v1.0 is ignored on purpose).',
  } satisfies FindingSpec<Target & { minVersion: string; offered?: string; detail?: string }>,
  TLS_LOCAL_PROTOCOLS_DISABLED: {
    severity: 'error',
    title: "This device's TLS configuration allows no usable version",
    message: (e: Target & { minVersion: string; detail: string }) =>
      `This device's own TLS configuration leaves no protocol version to offer ${at(e)} (${e.detail}): the handshake stopped ` +
      `before a ClientHello was sent, so nothing is known yet about ${e.host}. The server is not at fault.`,
    remediation: (e: Target & { minVersion: string }) =>
      `Allow TLS 1.2 and 1.3 in this process (policy minimum ${e.minVersion}): look for OpenSSL configuration that disables them ` +
      '(OPENSSL_CONF, --openssl-config or the system openssl.cnf: "Protocol = -TLSv1.2", MaxProtocol, MinProtocol), ' +
      'and for a node flag or code that lowers tls.DEFAULT_MAX_VERSION (e.g. --tls-max-v1.2 with a TLS 1.3 minimum). DPS and IoT Hub need TLS 1.2 or later.',
  } satisfies FindingSpec<Target & { minVersion: string; detail: string }>,
  TLS_HOSTNAME_MISMATCH: {
    severity: 'error',
    title: 'Server certificate does not cover the host name',
    message: (e: Target & { detail: string; certificateNames?: string }) =>
      `The certificate presented by ${at(e)} does not cover the name ${e.host}: ${e.detail}` +
      `${e.certificateNames ? ` (it covers ${e.certificateNames})` : ''}.`,
    remediation: (e: Target) =>
      `Connect by the DNS name ${e.host} (never by IP address) and make DNS answer the private endpoint of that same resource; ` +
      (e.host.includes('.privatelink.')
        ? `${e.host} is a privatelink name: configure the service name ${e.host.replace('.privatelink.', '.')} instead (it resolves to the same private endpoint through the privatelink CNAME).`
        : 'if you configured a privatelink.* name, use the service name <name>.azure-devices-provisioning.net / <hub>.azure-devices.net instead.'),
  } satisfies FindingSpec<Target & { detail: string; certificateNames?: string }>,
  TLS_UNTRUSTED_CHAIN: {
    severity: 'error',
    title: 'Server certificate chain not trusted',
    message: (e: Target & { detail: string }) =>
      `The certificate chain presented by ${at(e)} is not trusted: ${e.detail}.`,
    remediation: (e: Target) =>
      `Trust DigiCert Global Root G2 and Microsoft RSA Root CA 2017 (Baltimore CyberTrust Root is retired) in the device trust store ` +
      `or pass them as tls.ca; if a TLS-inspecting proxy sits between the device and ${e.host}, exempt the Azure endpoints from inspection.`,
  } satisfies FindingSpec<Target & { detail: string }>,
  TLS_SERVER_CERT_EXPIRED: {
    severity: 'error',
    title: 'Server certificate expired or not yet valid',
    message: (e: Target & { detail: string; now: string }) =>
      `The certificate presented by ${at(e)} is outside its validity period at device time ${e.now}: ${e.detail}.`,
    remediation: () =>
      'Check the device clock first (NTP / chrony): a clock far in the past or future makes valid Azure certificates look expired. ' +
      'If the clock is right, the peer is not the Azure service: check DNS and any TLS-inspecting proxy.',
  } satisfies FindingSpec<Target & { detail: string; now: string }>,
  TLS_LEGACY_ROOT: {
    severity: 'warning',
    title: 'Server chain ends at the retired Baltimore CyberTrust Root',
    message: (e: Target & { root: string }) =>
      `The certificate chain presented by ${at(e)} ends at ${e.root}, which Azure IoT Hub and DPS retired in September 2024 ` +
      '(their certificates now chain to DigiCert Global Root G2). A device that trusts only the Baltimore root fails as soon as it meets the current chain.',
    remediation: (e: Target) =>
      'Update the device trust store so it holds DigiCert Global Root G2 and Microsoft RSA Root CA 2017: upgrade the OS ca-certificates package ' +
      '(e.g. `apt-get install --only-upgrade ca-certificates`), or add both roots to the CA bundle the firmware ships (tls.ca / --ca). ' +
      'Trust roots only: never pin the leaf or intermediate certificate. ' +
      `If ${e.host} still presents a Baltimore chain, the peer is not the current Azure service: check DNS and any TLS-inspecting proxy in the path.`,
  } satisfies FindingSpec<Target & { root: string }>,
  TLS_HANDSHAKE_FAILED: {
    severity: 'error',
    title: 'TLS handshake failed',
    message: (e: Target & { detail: string }) => `The TLS handshake with ${at(e)} failed: ${e.detail}.`,
    remediation: (e: Target) =>
      `Check that ${e.host} answers the Azure service (TLS 1.2+) on that port and that no middlebox terminates TLS; ` +
      'run dps-check with --verbose for the full cause chain.',
  } satisfies FindingSpec<Target & { detail: string }>,
  TCP_UNREACHABLE: {
    severity: 'error',
    title: 'TCP connection failed',
    message: (e: Target & { detail: string; addresses?: string[] }) =>
      `No TCP connection to ${e.host}${path({ ...e, address: undefined })}: ${e.detail}.`,
    // Silence (timeout, no route): refusals are TCP_REFUSED, whose fix is different. Through a proxy the device's own
    // TCP reached the proxy, so the broken part is the proxy's side of the tunnel.
    remediation: (e: Target) =>
      `Nothing answered: check the route from the device to the private endpoint of ${e.host} (VPN / ExpressRoute, VNET peering, ` +
      'NSG rules that drop TCP 8883 and 443) and that the private endpoint connection is Approved.' +
      (e.proxy
        ? ` Through the proxy ${e.proxy}, which opened the tunnel, that route is the proxy's: check its log, ` +
          `its DNS for ${e.host} and its route to the private endpoint on that port, or bypass the proxy for the Azure endpoints.`
        : ''),
  } satisfies FindingSpec<Target & { detail: string; addresses?: string[] }>,
  TCP_REFUSED: {
    severity: 'error',
    title: 'TCP connection refused',
    message: (e: Target & { detail: string; addresses?: string[] }) =>
      `${e.host}${path(e)} refused the TCP connection (${e.detail}): ` +
      `${e.proxy ? 'the proxy or what it connected to' : 'something at that address'} answered and turned it away.`,
    remediation: (e: Target) =>
      'A refusal is an answer, not silence: something at that address answered, so the route works. ' +
      'Check the port (8883 for MQTT, 443 for MQTT over WebSockets, or the custom port configured), ' +
      `that the address is the private endpoint of ${e.host} and not another host in that subnet, ` +
      'and for a firewall (site, host or network virtual appliance) that rejects (RST or ICMP port-unreachable) instead of dropping.',
  } satisfies FindingSpec<Target & { detail: string; addresses?: string[] }>,
  TLS_HANDSHAKE_STALLED: {
    severity: 'error',
    title: 'TCP connected, the TLS handshake got no answer',
    message: (e: Target & { detail: string }) =>
      `TCP to ${at(e)} connected, but the TLS handshake got no answer (${e.detail}): the ClientHello was sent and nothing came back.`,
    remediation: (e: Target) =>
      `The route and the port to ${e.host} work (TCP connected); something on the path swallows the TLS handshake. ` +
      "Most often an MTU black hole on the VPN / ExpressRoute path: the small ClientHello passes, the server's large certificate flight " +
      'is lost because ICMP "fragmentation needed" is dropped. Clamp the TCP MSS on the tunnel (e.g. 1350) or lower its MTU, and let ICMP type 3 code 4 through. ' +
      `Otherwise an IPS, firewall or TLS-inspecting appliance drops the ClientHello for ${e.host}: allow TLS to the Azure endpoints. ` +
      'Also check that the address is really the private endpoint of this service.',
  } satisfies FindingSpec<Target & { detail: string }>,
  ENV_TLS_WEAKENED: {
    severity: 'warning',
    title: 'The process environment weakens TLS',
    message: (e: { settings: string[]; effects: string[] }) =>
      `This process's environment weakens TLS: ${e.effects.join('; ')}. ` +
      "dps-private-link's own sockets set their version floor and certificate check themselves, " +
      'but every other TLS client in the same process (other Azure SDK clients, https requests) follows these settings.',
    remediation: (e: { settings: string[] }) =>
      `Remove ${e.settings.join(', ')} from the device service's environment (systemd Environment=, Dockerfile ENV, .env files, shell profile). ` +
      'If they were added to get past a TLS-inspecting proxy or a missing root certificate, trust that root instead ' +
      '(NODE_EXTRA_CA_CERTS, or tls.ca / --ca for this library); DPS and IoT Hub need TLS 1.2 or later and no legacy algorithms.',
  } satisfies FindingSpec<{ settings: string[]; effects: string[] }>,
  PROXY_IN_PATH: {
    severity: 'warning',
    title: 'Connection goes through a proxy',
    message: (e: { host: string; proxy: string; proxyInRange: boolean }) =>
      `The connection to ${e.host} goes through the HTTP CONNECT proxy ${e.proxy}; the proxy resolves ${e.host} itself, ` +
      `so the device cannot pin the verified private address${e.proxyInRange ? ' (the proxy itself is inside the expected ranges)' : ' and the proxy is outside the expected ranges'}.`,
    remediation: (e: { host: string; proxy: string }) =>
      `Make sure the proxy ${e.proxy} resolves ${e.host} through a resolver linked to the private DNS zone ` +
      '(or forwards azure-devices-provisioning.net / azure-devices.net to 168.63.129.16 inside the VNET), or bypass the proxy for the Azure endpoints. ' +
      'TLS to the service is still verified end to end inside the tunnel.',
  } satisfies FindingSpec<{ host: string; proxy: string; proxyInRange: boolean }>,
  PROXY_REFUSED: {
    severity: 'error',
    title: 'Proxy refused the CONNECT tunnel',
    message: (e: ProxyEvidence & { statusLine?: string; status?: number; proxyAuthenticate?: string }) =>
      `The HTTP CONNECT proxy ${e.proxy} did not open a tunnel to ${e.host}${e.port ? `:${e.port}` : ''}: ` +
      `${e.statusLine ? `it answered "${e.statusLine}"${e.proxyAuthenticate ? ` (Proxy-Authenticate: ${e.proxyAuthenticate})` : ''}` : e.detail}. ` +
      `The device never reached ${e.host}; nothing is known yet about its DNS or private endpoint.`,
    remediation: (e: ProxyEvidence & { status?: number }) => {
      const names = `${e.host} and the assigned hub's <hub>.azure-devices.net on port ${e.port ?? 443}`;
      if (e.status === 407) {
        return (
          `The proxy ${e.proxy} demands authentication, and this client sends none (the proxy setting is http://<ip>:<port> without credentials): ` +
          `let the device's address use CONNECT to ${names} without authentication, or bypass the proxy for the Azure endpoints.`
        );
      }
      if (e.status !== undefined && e.status >= 500) {
        return (
          `The proxy ${e.proxy} could not reach ${e.host}:${e.port ?? 443} itself: make its resolver answer ${e.host} with the private endpoint ` +
          '(linked to the private DNS zone, or forwarding azure-devices-provisioning.net / azure-devices.net to 168.63.129.16 inside the VNET) ' +
          'and check its route to the private endpoint, or bypass the proxy for the Azure endpoints.'
        );
      }
      return (
        `Add ${names} to the allow list of the proxy ${e.proxy} (CONNECT to port 443 must be permitted; some proxies also need the device's address or proxy authentication allowed), ` +
        'or bypass the proxy for the Azure endpoints. If the proxy closed the connection without answering, check that this address and port is an HTTP CONNECT proxy and read its log for the refused request.'
      );
    },
  } satisfies FindingSpec<ProxyEvidence & { statusLine?: string; status?: number; proxyAuthenticate?: string }>,
  PROXY_UNREACHABLE: {
    severity: 'error',
    title: 'Proxy not reachable or not answering',
    message: (e: ProxyEvidence) =>
      `No tunnel through the HTTP CONNECT proxy ${e.proxy} to ${e.host}${e.port ? `:${e.port}` : ''}: ${e.detail}. ` +
      `The device never reached ${e.host}; nothing is known yet about its DNS or private endpoint.`,
    remediation: (e: ProxyEvidence) =>
      `Check the proxy setting (http://<ip>:<port>), that a proxy is running at ${e.proxy}, and the route and firewall from the device to it. ` +
      `A proxy that accepts the connection but never answers CONNECT is often still trying to reach ${e.host} itself: check its DNS and route to the private endpoint, ` +
      'or bypass the proxy for the Azure endpoints.',
  } satisfies FindingSpec<ProxyEvidence>,
  // Each spec has its own evidence type; `any` is what lets them share one record.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} satisfies Record<string, FindingSpec<any>>;
