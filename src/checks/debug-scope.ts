// Imported first by the dps-check binary, before any module loads `debug` (which reads DEBUG once, when it loads).
// Only dps-private-link's own namespaces are secret-free: mqtt-packet and mqttjs print every packet, the CONNECT
// password (a SAS token) included. So `DEBUG=*` on dps-check means ours only, and a foreign namespace is never enabled.

const OURS = 'dps-private-link';

/**
 * A DEBUG value reduced to dps-private-link's namespaces: `*` becomes `dps-private-link:*`, patterns of ours
 * (`dps-private-link:endpoint`, `-dps-private-link:lab:*`) stay, everything else (`mqtt-packet:*`, `mqttjs*`, `azure*`)
 * is dropped.
 */
export function ownDebugNamespaces(value: string): string {
  const kept = value
    .split(/[\s,]+/)
    .filter(Boolean)
    .flatMap((pattern) => {
      const body = pattern.replace(/^-/, '');
      if (body === '*') return pattern.startsWith('-') ? [] : [`${OURS}:*`];
      return body.startsWith(OURS) ? [pattern] : [];
    });
  return [...new Set(kept)].join(',');
}

if (process.env['DEBUG']) process.env['DEBUG'] = ownDebugNamespaces(process.env['DEBUG']);
