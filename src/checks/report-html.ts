import type { Finding } from '../findings/types';
import type { JsonDocument } from './render';
import type { CheckResult } from './types';

/**
 * The support bundle as report.ts builds it — already redacted, so the JSON file and the HTML page show the same
 * values and neither can show a secret the other would not.
 */
export interface SupportBundle extends JsonDocument {
  generatedAt: string;
  configuration: {
    configFile: string | null;
    values: Record<string, unknown>;
    sources: Record<string, unknown>;
    passphrase: string | null;
    symmetricKey: string | null;
  };
  environment: Record<string, unknown>;
}

type Check = SupportBundle['checks'][number];

// ---------------------------------------------------------------------------------------------------------------
// Markup: every value from the bundle is text (DNS answers and certificate subjects come from the network and may be
// hostile); only what the html`` tag itself builds is markup.

/** Markup built by {@link html}; the only thing that is inserted without escaping. */
class Markup {
  constructor(readonly value: string) {}
}

type Part = Markup | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` safe inside an element or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function partText(part: Part): string {
  if (part instanceof Markup) return part.value;
  if (Array.isArray(part)) return part.map(partText).join('');
  if (part === null || part === undefined || part === false) return '';
  return escapeHtml(String(part as string | number | boolean));
}

/** A template tag: the literal parts are markup, every interpolated value is escaped unless it is {@link Markup}. */
function html(strings: TemplateStringsArray, ...parts: Part[]): Markup {
  return new Markup(strings.reduce((out, s, i) => out + s + (i < parts.length ? partText(parts[i] as Part) : ''), ''));
}

// ---------------------------------------------------------------------------------------------------------------
// Reading evidence: it is plain JSON data of a known shape, but a report may come from an older or a broken run, so
// every field is read as "maybe".

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function rec(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

// ---------------------------------------------------------------------------------------------------------------
// The path, as data: stages from the device to the hub, each a few lanes of boxes. Drawn by renderPath().

/** A box's state: a check's result, or `none` for a box no check judges (the device's facts, a CNAME hop). */
type Status = CheckResult | 'none';

interface Box {
  title: string;
  lines: string[];
  status: Status;
  failing?: boolean;
}

interface Stage {
  name: string;
  /** The checks the stage draws, for the legend under its title. */
  checkIds: string[];
  status: Status;
  /** Rows of boxes drawn left to right; one row per resolver in DNS stages. */
  lanes: Box[][];
  /** `then`: each box leads to the next (a CNAME chain). `or`: alternatives side by side (the two ports). */
  join: 'then' | 'or';
  /** Why the stage has nothing to draw (skipped, not run). */
  note?: string;
  failing?: boolean;
}

const RANK: Record<Status, number> = { none: 0, skipped: 1, ok: 2, warning: 3, error: 4 };

function worst(statuses: readonly Status[]): Status {
  return statuses.reduce<Status>((w, s) => (RANK[s] > RANK[w] ? s : w), 'none');
}

function byId(bundle: SupportBundle, id: string): Check | undefined {
  return bundle.checks.find((c) => c.id === id);
}

function statusOf(check: Check | undefined): Status {
  return check ? check.result : 'none';
}

/** The device: who it is and what runtime it has; judged by the configuration and device-identity checks. */
function deviceStage(bundle: SupportBundle): Stage {
  const checks = bundle.checks.filter((c) => c.section === 'configuration' || c.section === 'device-identity');
  const v = bundle.configuration.values;
  const env = bundle.environment;
  const box: Box = {
    title: `Device ${str(v['registrationId']) ?? ''}`.trim(),
    lines: [
      `${str(env['platform']) ?? '?'}, Node ${str(env['node']) ?? '?'}, OpenSSL ${str(env['openssl']) ?? '?'}`,
      `transport ${str(v['transport']) ?? '?'}, policy ${str(v['policy']) ?? '?'}`,
      `expected VNET ${list(v['expectedCidrs']).map(String).join(', ') || '(none)'}`,
      ...checks.filter((c) => c.result === 'error' || c.result === 'warning').map((c) => `${c.id}: ${c.result}`),
    ],
    status: worst(checks.map((c) => c.result)),
  };
  return { name: 'Device', checkIds: checks.map((c) => c.id), status: box.status, lanes: [[box]], join: 'then' };
}

/** `127.10.0.10 ttl=10 loopback in-vnet` (traceEvidence's address line) as a box. */
function addressBox(line: string, dnsStatus: Status): Box {
  const [address = line, ...rest] = line.split(' ');
  const inVnet = rest.includes('in-vnet');
  const cls = rest.find((w) => !w.startsWith('ttl=') && w !== 'in-vnet') ?? 'unknown';
  const ttl = rest.find((w) => w.startsWith('ttl='));
  return {
    title: address,
    lines: [`${cls} address`, inVnet ? 'in the VNET' : 'outside the VNET', ...(ttl ? [ttl.replace('=', ' ')] : [])],
    status: inVnet ? 'ok' : dnsStatus === 'ok' ? 'warning' : dnsStatus,
  };
}

/** One resolver's answer: resolver → each name of the CNAME chain → the addresses (or the rcode / error). */
function resolverLane(trace: Record<string, unknown>, dnsStatus: Status, label: string): Box[] {
  const rcode = str(trace['rcode']);
  const error = str(trace['error']);
  const chain = list(trace['chain']).map(String);
  const addresses = list(trace['addresses']).map(String);
  const duration = str(trace['durationMs']);
  const answered = !error && (rcode === undefined || rcode === 'NOERROR' || rcode === 'NXDOMAIN');
  const resolver: Box = {
    title: `${label} ${str(trace['resolver']) ?? '?'}`,
    lines: [
      trace['fromHostsFile'] ? 'answered from the hosts file' : (rcode ?? (error ? 'no answer' : 'answered')),
      ...(error ? [error] : []),
      ...(duration ? [`${duration} ms`] : []),
    ],
    status: answered ? 'ok' : dnsStatus,
  };
  const names: Box[] = chain.map((name, i) => ({
    title: name,
    lines: [i === 0 ? 'name asked' : 'CNAME', ...(/(^|\.)privatelink\./.test(name) ? ['privatelink zone'] : [])],
    status: 'none',
  }));
  const last = names[names.length - 1];
  if (last && rcode === 'NXDOMAIN') Object.assign(last, { status: dnsStatus, lines: [...last.lines, 'NXDOMAIN'] });
  const answer: Box[] = addresses.length
    ? addresses.map((a) => addressBox(a, dnsStatus))
    : answered
      ? [{ title: 'no address', lines: [rcode ?? 'empty answer'], status: dnsStatus }]
      : [];
  return [resolver, ...names, ...answer];
}

/** A DNS stage (dps-dns or hub-dns): one lane per resolver, the system resolver's (`--compare-system`) last. */
function dnsStage(check: Check | undefined, name: string): Stage {
  const status = statusOf(check);
  const ev = rec(check?.evidence);
  const lanes = [
    ...list(ev['resolvers']).map((t) => resolverLane(rec(t), status, 'resolver')),
    ...list(ev['system']).map((t) => resolverLane(rec(t), status, 'system resolver')),
  ];
  const host = str(ev['host']);
  return {
    name: `${name}${host ? ` — ${host}` : ''}`,
    checkIds: check ? [check.id] : [],
    status,
    lanes,
    join: 'then',
    ...(lanes.length ? {} : { note: check?.detail ?? 'not run' }),
  };
}

/** `TCP 8883 MQTT (in use)`; a skipped check's evidence may not name its port. */
function portTitle(layer: string, ev: Record<string, unknown>, transport: string, inUse: boolean): string {
  return [layer, str(ev['port']), transport, inUse ? '(in use)' : undefined].filter(Boolean).join(' ');
}

/** One TCP check as a box: each address dialled and how it went, and the ones the policy refused to dial. */
function tcpBox(check: Check, transport: string, inUse: boolean): Box {
  const ev = rec(check.evidence);
  const results = list(ev['results']).map(rec);
  const refused = list(ev['refused']).map(String);
  return {
    title: portTitle('TCP', ev, transport, inUse),
    lines: [
      ...results.map((r) =>
        r['ok'] === true
          ? `${str(r['address'])} connected (${str(r['durationMs'])} ms)`
          : `${str(r['address'])} ${str(r['error']) ?? 'failed'}`,
      ),
      ...refused.map((a) => `${a} not dialled (outside the VNET)`),
      ...(results.length === 0 && check.detail ? [check.detail] : []),
    ],
    status: check.result,
  };
}

/** The first subjectAltName entries of the leaf, shortened: enough to see which names the certificate covers. */
function sanOf(chain: unknown[]): string {
  const san = str(rec(chain[0])['subjectAltName']);
  if (!san) return 'no SAN';
  const names = san.split(/,\s*/);
  return `SAN ${names.slice(0, 4).join(', ')}${names.length > 4 ? ` (+${names.length - 4})` : ''}`;
}

/** One TLS check as a box: version and cipher, the names the certificate covers, the root, the name match. */
function tlsBox(check: Check, transport: string, inUse: boolean): Box {
  const ev = rec(check.evidence);
  const chain = list(ev['chain']);
  const handshake = str(ev['protocol']);
  const lines = handshake
    ? [
        `${handshake} ${str(ev['cipher']) ?? ''}`.trim(),
        `subject ${str(rec(chain[0])['subject']) ?? '?'}`,
        sanOf(chain),
        `root ${str(ev['root']) ?? '?'}`,
        ev['hostnameMatch'] === true ? 'name matches' : `name does not match ${str(ev['servername']) ?? ''}`.trim(),
        ...(ev['authorized'] === false ? [`chain not trusted: ${str(ev['authorizationError']) ?? '?'}`] : []),
      ]
    : [str(ev['error']) ?? check.detail ?? 'no handshake'];
  return { title: portTitle('TLS', ev, transport, inUse), lines, status: check.result };
}

/** TCP or TLS on both ports, as one stage of two boxes (the port of the configured transport marked in use). */
function portsStage(
  bundle: SupportBundle,
  name: string,
  ids: [mqtt: string, ws: string],
  box: (c: Check, transport: string, inUse: boolean) => Box,
): Stage {
  const ws = str(bundle.configuration.values['transport']) === 'mqtt-ws';
  const checks = ids.map((id) => byId(bundle, id));
  const boxes = checks.flatMap((c, i) => (c ? [box(c, i ? 'MQTT over WebSockets' : 'MQTT', ws === (i === 1))] : []));
  const allSkipped = checks.every((c) => !c || c.result === 'skipped');
  return {
    name,
    checkIds: ids.filter((id) => byId(bundle, id)),
    status: worst(checks.map(statusOf)),
    lanes: allSkipped ? [] : [boxes],
    join: 'or',
    ...(allSkipped ? { note: checks.find((c) => c?.detail)?.detail ?? 'not run' } : {}),
  };
}

/** DPS itself: the registration (`--register`) and what it assigned. */
function dpsStage(bundle: SupportBundle): Stage {
  const check = byId(bundle, 'dps-register');
  const ev = rec(check?.evidence);
  const host = str(bundle.configuration.values['provisioningHost']) ?? 'DPS';
  const hub = str(ev['assignedHub']);
  const box: Box = {
    title: `DPS ${host}`,
    lines: [
      `ID scope ${str(bundle.configuration.values['idScope']) ?? '?'}`,
      ...(hub ? [`assigned hub ${hub}`, `device id ${str(ev['deviceId']) ?? '?'}`] : []),
      ...(!hub && check?.detail ? [check.detail] : []),
    ],
    status: statusOf(check),
  };
  return {
    name: 'DPS registration',
    checkIds: check ? [check.id] : [],
    status: box.status,
    lanes: [[box]],
    join: 'then',
  };
}

/** Every stage, device to hub, in the order a packet (and the device's trouble) travels. */
function pathStages(bundle: SupportBundle): Stage[] {
  const hubName = str(rec(byId(bundle, 'dps-register')?.evidence)['assignedHub']);
  return [
    deviceStage(bundle),
    dnsStage(byId(bundle, 'dps-dns'), 'DNS'),
    portsStage(bundle, 'TCP to DPS', ['dps-tcp-mqtt', 'dps-tcp-websocket'], tcpBox),
    portsStage(bundle, 'TLS to DPS', ['dps-tls-mqtt', 'dps-tls-websocket'], tlsBox),
    dpsStage(bundle),
    dnsStage(byId(bundle, 'hub-dns'), `Assigned hub DNS${hubName ? '' : ' (after --register)'}`),
    portsStage(bundle, 'TCP to the hub', ['hub-tcp-mqtt', 'hub-tcp-websocket'], tcpBox),
    portsStage(bundle, 'TLS to the hub', ['hub-tls-mqtt', 'hub-tls-websocket'], tlsBox),
  ];
}

/**
 * Marks where the path breaks: the first stage with an error, and in it the first box with an error (a stage whose
 * error no single box shows, e.g. mixed answers, is marked as a whole). Returns that stage.
 */
function markFailing(stages: Stage[]): Stage | undefined {
  const stage = stages.find((s) => s.status === 'error');
  if (!stage) return undefined;
  const box = stage.lanes.flat().find((b) => b.status === 'error');
  if (box) box.failing = true;
  else stage.failing = true;
  return stage;
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering.

const SYMBOL: Record<Status, string> = { ok: '√', warning: '‼', error: '×', skipped: '-', none: '' };

const FAILS_HERE = html`<strong class="fails-here">✖ fails here</strong>`;

function renderBox(b: Box): Markup {
  return html`<div class="box st-${b.status}${b.failing ? ' failing' : ''}">
    <div class="box-title">
      ${SYMBOL[b.status] ? html`<span class="sym">${SYMBOL[b.status]}</span> ` : ''}${b.title}
    </div>
    ${b.lines.map((l) => html`<div class="box-line">${l}</div>`)}${b.failing ? FAILS_HERE : ''}
  </div>`;
}

const JOINS = { then: html`<span class="arrow">→</span>`, or: html`<span class="or">or</span>` };

function renderStage(s: Stage): Markup {
  const lanes = s.lanes.map(
    (lane) => html`<div class="lane">${lane.map((b, i) => html`${i ? JOINS[s.join] : ''}${renderBox(b)}`)}</div>`,
  );
  return html`<section class="stage st-${s.status}${s.failing ? ' failing' : ''}">
    <h3><span class="sym">${SYMBOL[s.status]}</span> ${s.name} <span class="checks">${s.checkIds.join(', ')}</span></h3>
    ${lanes}${s.note ? html`<p class="note">${s.note}</p>` : ''}${s.failing ? FAILS_HERE : ''}
  </section>`;
}

function renderPath(stages: readonly Stage[]): Markup {
  return html`<section id="path">
    <h2>The path</h2>
    ${stages.map((s, i) => html`${i ? html`<div class="down">↓</div>` : ''}${renderStage(s)}`)}
  </section>`;
}

/**
 * Where to read more about a finding: the README row of its code, and the Microsoft Learn page of its area. Links
 * only — nothing is fetched when the page is opened.
 */
const README_FINDINGS = 'https://github.com/dps-private-link/dps-private-link#findings';
const LEARN: [RegExp, string, string][] = [
  [/^(DNS|ENDPOINT)_/, 'https://learn.microsoft.com/azure/private-link/private-endpoint-dns', 'Private endpoint DNS'],
  [/^(TLS|ENV_TLS)_/, 'https://learn.microsoft.com/azure/iot-hub/iot-hub-tls-support', 'IoT Hub TLS support'],
  [/^HUB_/, 'https://learn.microsoft.com/azure/iot-hub/virtual-network-support', 'IoT Hub and private endpoints'],
  [/^DEVICE_/, 'https://learn.microsoft.com/azure/iot-dps/concepts-x509-attestation', 'DPS X.509 attestation'],
  [/^/, 'https://learn.microsoft.com/azure/iot-dps/virtual-network-support', 'DPS and private endpoints'],
];

function renderLinks(code: string): Markup {
  const [, url, title] = LEARN.find(([re]) => re.test(code)) as [RegExp, string, string];
  return html`<p class="links">
    More: <a href="${README_FINDINGS}">README: ${code}</a> · <a href="${url}">Microsoft Learn: ${title}</a>
  </p>`;
}

function renderValue(v: unknown): Markup {
  return typeof v === 'string' ? html`${v}` : html`<code>${JSON.stringify(v)}</code>`;
}

function renderTable(rows: readonly [string, unknown][], cls: string): Markup {
  return html`<table class="${cls}">
    ${rows.map(
      ([k, v]) =>
        html`<tr>
          <th>${k}</th>
          <td>${renderValue(v)}</td>
        </tr>`,
    )}
  </table>`;
}

function renderFinding(f: Finding, check: Check): Markup {
  return html`<article class="finding sev-${f.severity}">
    <h3>
      <span class="sym">${SYMBOL[f.severity === 'info' ? 'none' : f.severity]}</span> ${f.code}
      <span class="sev">${f.severity}</span> <span class="checks">${check.id}</span>
    </h3>
    <p class="message">${f.message}</p>
    <p class="fix"><b>Fix:</b> ${f.remediation}</p>
    ${renderLinks(f.code)}
    <details open>
      <summary>Evidence</summary>
      ${renderTable(Object.entries(f.evidence), 'evidence')}
    </details>
  </article>`;
}

function renderFindings(bundle: SupportBundle): Markup {
  const all = bundle.checks.flatMap((c) => c.findings.map((f) => renderFinding(f, c)));
  return html`<section id="findings">
    <h2>Findings (${all.length})</h2>
    ${all.length ? all : html`<p class="none">√ No findings.</p>`}
  </section>`;
}

/** A check's own evidence (what the drawing summarises, and a check bug's error chain), folded away. */
function renderCheckEvidence(c: Check): Markup | '' {
  if (Object.keys(c.evidence).length === 0) return '';
  return html`<details>
    <summary>evidence</summary>
    <pre>${JSON.stringify(c.evidence, null, 2)}</pre>
  </details>`;
}

function renderChecks(bundle: SupportBundle): Markup {
  return html`<section id="checks">
    <h2>Checks</h2>
    <table class="checks">
      <tr>
        <th></th>
        <th>check</th>
        <th>section</th>
        <th>result</th>
        <th>detail</th>
        <th>ms</th>
      </tr>
      ${bundle.checks.map(
        (c) =>
          html`<tr class="st-${c.result}">
            <td class="sym">${SYMBOL[c.result]}</td>
            <td>${c.id}<br /><small>${c.title}</small></td>
            <td>${c.section}</td>
            <td>${c.result}</td>
            <td>${c.detail ?? ''}${renderCheckEvidence(c)}</td>
            <td>${c.durationMs}</td>
          </tr>`,
      )}
    </table>
  </section>`;
}

function renderFacts(bundle: SupportBundle): Markup {
  const sources = bundle.configuration.sources;
  const configRows: [string, unknown][] = Object.entries(bundle.configuration.values).map(([k, v]) => {
    const source = str(rec(sources[k])['name']);
    return [k, source ? `${typeof v === 'string' ? v : JSON.stringify(v)}  (from ${source})` : v];
  });
  return html`<section id="environment">
      <h2>Environment</h2>
      ${renderTable(Object.entries(bundle.environment), 'facts')}
    </section>
    <section id="configuration">
      <h2>Configuration</h2>
      ${renderTable(
        [
          ['config file', bundle.configuration.configFile ?? '(none)'],
          ...configRows,
          ['passphrase', bundle.configuration.passphrase ?? '(none)'],
          ['symmetric key', bundle.configuration.symmetricKey ?? '(none)'],
        ],
        'facts',
      )}
    </section>`;
}

function renderVerdict(bundle: SupportBundle, failing: Stage | undefined): Markup {
  const s = bundle.summary;
  const counts = `${s.ok} ok, ${s.warning} warnings, ${s.error} errors, ${s.skipped} skipped`;
  const verdict = failing
    ? html`<p class="verdict st-error">× The path fails at: <b>${failing.name}</b> (${failing.checkIds.join(', ')})</p>`
    : s.error
      ? html`<p class="verdict st-error">× ${s.error} check(s) failed</p>`
      : html`<p class="verdict st-ok">√ No errors${s.warning ? ` (${s.warning} warnings)` : ''}</p>`;
  return html`${verdict}
    <p class="counts">${counts}</p>`;
}

// A strict CSP as well as the escaping: even markup that got through could run no script and load nothing.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1b1b;max-width:1150px}
h1{font-size:22px;margin:0 0 4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:32px}
h3{font-size:15px;margin:0 0 8px}.checks{color:#666;font-weight:normal;font-size:12px}
.verdict{font-size:18px;padding:8px 12px;border-radius:6px}.verdict.st-error{background:#fde8e8}
.verdict.st-ok{background:#e6f4ea}.counts{color:#555}
.stage{border:1px solid #ccc;border-left:6px solid #bbb;border-radius:6px;padding:10px 12px;background:#fafafa}
.stage.st-ok{border-left-color:#2e7d32}.stage.st-warning{border-left-color:#ed8b00}
.stage.st-error{border-left-color:#c62828}.stage.st-skipped{border-left-color:#9e9e9e;color:#666}
.down{text-align:center;font-size:20px;color:#888;line-height:1.2}
.lane{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:6px 0}.arrow{font-size:18px;color:#888}
.or{font-size:12px;color:#888;padding:0 6px}
.box{border:1px solid #bbb;border-radius:5px;padding:6px 8px;background:#fff;max-width:330px;overflow-wrap:anywhere}
.box.st-ok{border-color:#2e7d32;background:#f1f8f2}.box.st-warning{border-color:#ed8b00;background:#fff6e5}
.box.st-error{border-color:#c62828;background:#fdecec}.box.st-skipped{color:#777}
.box-title{font-weight:600}.box-line{font-size:12px;color:#333}
.failing{outline:3px solid #c62828;outline-offset:2px}
.fails-here{display:block;color:#c62828;font-size:12px;margin-top:4px}
.sym{font-weight:bold}.st-ok>.sym,.st-ok .sym{color:#2e7d32}.st-error .sym{color:#c62828}.st-warning .sym{color:#ed8b00}
.note{color:#666;margin:4px 0 0}
.finding{border:1px solid #ddd;border-left:6px solid #c62828;border-radius:6px;padding:10px 12px;margin:12px 0}
.finding.sev-warning{border-left-color:#ed8b00}.finding.sev-info{border-left-color:#1565c0}
.sev{font-size:12px;text-transform:uppercase;color:#555}.fix{background:#f3f6fb;padding:6px 8px;border-radius:4px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #e0e0e0;padding:4px 6px;text-align:left;
vertical-align:top;overflow-wrap:anywhere}th{background:#f5f5f5;width:18%}code{font-size:12px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:11px}
tr.st-error td{background:#fdecec}tr.st-warning td{background:#fff6e5}
`;

/**
 * The support bundle as one self-contained HTML page: a verdict, a drawing of the path (device → resolvers → each
 * CNAME hop → addresses in/out of the VNET → TCP 8883/443 → TLS → DPS → assigned hub) with the failing hop marked,
 * every finding with its evidence, fix and links, every check, and the environment and configuration facts. No
 * script and no external asset; every value is escaped (DNS answers and certificate subjects are attacker-chosen).
 * Expects a redacted bundle (see writeSupportBundle): it prints what it is given.
 */
export function renderHtmlReport(bundle: SupportBundle): string {
  const stages = pathStages(bundle);
  const failing = markFailing(stages);
  const host = str(bundle.configuration.values['provisioningHost']) ?? '';
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content="${CSP}" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>dps-check report: ${host}</title>
        <style>
          ${new Markup(STYLE)}
        </style>
      </head>
      <body>
        <h1>dps-check report: ${host}</h1>
        <p class="meta">dps-check ${bundle.version} · generated ${bundle.generatedAt} · secrets redacted</p>
        ${renderVerdict(bundle, failing)} ${renderPath(stages)} ${renderFindings(bundle)} ${renderChecks(bundle)}
        ${renderFacts(bundle)}
      </body>
    </html> `.value;
}
