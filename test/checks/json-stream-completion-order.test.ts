// --output json-stream writes each check's line when that check completes: a slow check early in the registry
// (dps-dns, waiting for its DNS server) must not hold back the lines of later checks that are already done (the
// device-identity checks, which need no network). No timing involved: the loopback DNS server below holds the query
// until the stream has shown device-cert's line, and only then answers.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { dpsCheck } from '../../src/checks/main';
import { makeCert, pem, put, rsaKey, tempDir } from './fixtures';

/** A loopback DNS server that answers NXDOMAIN to every query, but only once `release()` has been called. */
async function heldDnsServer(): Promise<{ endpoint: string; release(): void; queries(): number; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const held: { msg: Buffer; port: number; address: string }[] = [];
  let released = false;
  let count = 0;
  const answer = ({ msg, port, address }: { msg: Buffer; port: number; address: string }): void => {
    const res = Buffer.from(msg);
    res[2] = 0x80 | (msg[2]! & 0x01); // QR, RD copied
    res[3] = 0x83; // RA, NXDOMAIN
    socket.send(res, port, address);
  };
  socket.on('message', (msg, rinfo) => {
    count++;
    const query = { msg, port: rinfo.port, address: rinfo.address };
    if (released) answer(query);
    else held.push(query);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    endpoint: `127.0.0.1:${socket.address().port}`,
    release: () => {
      released = true;
      held.splice(0).forEach(answer);
    },
    queries: () => count,
    close: () => socket.close(),
  };
}

describe('dps-check --output json-stream', function () {
  this.timeout(60_000);
  const dir = tempDir('dps-stream-');
  const key = rsaKey();
  const cert = put(dir, 'dev.pem', pem(makeCert({ cn: 'dev-1', key })));
  const keyFile = put(dir, 'dev.key', key.privateKey.export({ type: 'pkcs8', format: 'pem' }));

  it('writes a check line when the check completes, not after the slower checks before it in the registry', async () => {
    const dns = await heldDnsServer();
    let stdout = '';
    const lines = (): { type: string; id?: string; result?: string }[] =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; id?: string });
    try {
      const code = await dpsCheck(
        [
          ...['--host', 'lab-dps.azure-devices-provisioning.net', '--expect-cidr', '127.10.0.0/16'],
          ...['--dns-server', dns.endpoint, '--registration-id', 'dev-1', '--cert', cert, '--key', keyFile],
          ...['--dont-run', 'clock-skew', '--output', 'json-stream'],
        ],
        {
          stdout: {
            write: (s: string) => {
              stdout += s;
              if (lines().some((l) => l.id === 'device-cert')) dns.release();
              return true;
            },
          },
          stderr: { write: () => true },
          env: {},
        },
      );
      assert.equal(code, 1, stdout); // the held name answers NXDOMAIN in the end
      assert.ok(dns.queries() > 0, 'dps-dns asked the held server');
      const ids = lines().map((l) => l.id ?? l.type);
      const at = (id: string): number => ids.indexOf(id);
      assert.ok(at('device-cert') >= 0 && at('dps-dns') >= 0, ids.join(' '));
      assert.ok(at('device-cert') < at('dps-dns'), `device-cert before dps-dns: ${ids.join(' ')}`);
      assert.ok(at('device-key-match') < at('dps-dns'), `device-key-match before dps-dns: ${ids.join(' ')}`);
      assert.equal(lines().find((l) => l.id === 'dps-dns')?.result, 'error');
      assert.equal(ids.at(-1), 'summary');
    } finally {
      dns.close();
    }
  });
});
