// Runs inside the "vnet" network namespace of net-genuine-private-addresses.test.ts: the lab on loopback (it binds
// nothing else), TCP forwarders from the genuine private endpoint addresses (10.77.0.10 DPS, 10.77.0.20 hub) to it —
// TLS passes through untouched, end to end — and a DNS server on 10.77.0.53:53 answering as a VNET-linked private zone
// does (name → CNAME privatelink name → A private address), plus one name that answers the "public" 20.43.1.7.
// Prints one JSON line once ready; exits when stdin closes.
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { startLab } from '../../src/lab/lab';

const cfg = JSON.parse(process.env.DPL_VNET ?? '{}') as {
  dpsAddress: string;
  hubAddress: string;
  dnsAddress: string;
  publicName: string;
  publicAddress: string;
};

function forward(address: string, port: number, to: string, toPort: number): Promise<net.Server> {
  const server = net.createServer((inbound) => {
    const outbound = net.connect(toPort, to);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}

async function main(): Promise<void> {
  const lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  const device = await lab.createDevice('genuine-private-1', 'symmetric-key');
  await forward(cfg.dpsAddress, lab.dps.port, lab.dps.address, lab.dps.port);
  await forward(cfg.hubAddress, lab.hub.port, lab.hub.address, lab.hub.port);
  const zone = new Map<string, { cname?: string; a?: string }>([
    [lab.dps.host, { cname: lab.dps.privatelinkHost }],
    [lab.dps.privatelinkHost, { a: cfg.dpsAddress }],
    [lab.hub.host, { cname: lab.hub.privatelinkHost }],
    [lab.hub.privatelinkHost, { a: cfg.hubAddress }],
    [cfg.publicName, { a: cfg.publicAddress }],
  ]);
  const dns = dgram.createSocket('udp4');
  dns.on('message', (msg, rinfo) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const answers: dnsPacket.Answer[] = [];
    let name = q.name.toLowerCase();
    let known = zone.has(name);
    for (let hop = 0; hop < 4 && zone.get(name)?.cname; hop++) {
      const target = zone.get(name)?.cname as string;
      answers.push({ type: 'CNAME', name, ttl: 60, class: 'IN', data: target });
      name = target;
      known = zone.has(name);
    }
    const a = zone.get(name)?.a;
    if (q.type === 'A' && a) answers.push({ type: 'A', name, ttl: 60, class: 'IN', data: a });
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: [q],
      answers,
    });
    dns.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => dns.bind(53, cfg.dnsAddress, resolve));
  process.stdout.write(
    JSON.stringify({
      ready: true,
      dpsHost: lab.dps.host,
      hubHost: lab.hub.host,
      idScope: lab.dps.idScope,
      caPem: lab.caPem,
      registrationId: device.registrationId,
      auth: device.auth,
      dpsPort: lab.dps.port,
      hubPort: lab.hub.port,
    }) + '\n',
  );
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stdout.write(JSON.stringify({ ready: false, error: String((err as Error)?.stack ?? err) }) + '\n');
  process.exit(1);
});
