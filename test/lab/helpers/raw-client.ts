import tls from 'node:tls';
import * as mqttPacket from 'mqtt-packet';
import { signSas } from '../../../src/lab/sas';
import type { LabDevice, LabHandle } from '../../../src/lab/types';

/** What a raw client saw next: a packet, or the server closing the connection. */
export type Event = mqttPacket.Packet | { cmd: 'closed' };

/**
 * A hand-driven MQTT client over TLS for the cases the SDK cannot produce (garbage, bad CONNECT, faults observed
 * packet by packet). It dials the lab's IP directly with the DNS name as SNI, so no name is ever resolved.
 */
export class RawClient {
  private readonly queue: Event[] = [];
  private waiter: ((e: Event) => void) | undefined;
  closed = false;

  private constructor(readonly socket: tls.TLSSocket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: mqttPacket.Packet) => this.push(p));
    socket.on('data', (d: Buffer) => parser.parse(d));
    socket.on('close', () => {
      this.closed = true;
      this.push({ cmd: 'closed' });
    });
    socket.on('error', () => undefined);
  }

  static connect(
    address: string,
    port: number,
    servername: string,
    ca: string,
    clientCert?: { cert: string; key: string },
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: address, port, servername, ca, ...clientCert, minVersion: 'TLSv1.2' }, () =>
        resolve(new RawClient(socket)),
      );
      socket.once('error', reject);
    });
  }

  /** Connect to the lab DPS as `device` and complete CONNECT (returns the CONNACK return code). */
  static async dps(
    lab: LabHandle,
    device: Pick<LabDevice, 'registrationId' | 'auth'>,
    address = lab.dps.address,
  ): Promise<{ client: RawClient; returnCode: number }> {
    const x509 = 'cert' in device.auth ? device.auth : undefined;
    const client = await RawClient.connect(address, lab.dps.port, lab.dps.host, lab.caPem, x509);
    const password =
      'symmetricKey' in device.auth
        ? Buffer.from(
            signSas(
              `${lab.dps.idScope}/registrations/${device.registrationId}`,
              device.auth.symmetricKey,
              Math.floor(Date.now() / 1000) + 600,
              'registration',
            ),
          )
        : undefined;
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      clientId: device.registrationId,
      username: `${lab.dps.idScope}/registrations/${device.registrationId}/api-version=2019-03-31&ClientVersion=raw`,
      ...(password ? { password } : {}),
    });
    const connack = await client.next();
    return { client, returnCode: connack.cmd === 'connack' ? (connack.returnCode ?? -1) : -1 };
  }

  private push(e: Event): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(e);
    } else this.queue.push(e);
  }

  send(packet: mqttPacket.Packet): void {
    this.socket.write(mqttPacket.generate(packet));
  }

  /** The next event, or `{cmd:'timeout'}`-like rejection after `ms`. */
  next(ms = 3000): Promise<Event> {
    const e = this.queue.shift();
    if (e) return Promise.resolve(e);
    if (this.closed) return Promise.resolve({ cmd: 'closed' });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no packet within ${ms} ms`));
      }, ms);
      this.waiter = (ev) => {
        clearTimeout(t);
        resolve(ev);
      };
    });
  }

  /** Publish a DPS register request; returns the response publish (or the close). */
  async register(registrationId: string, rid = '1', ms = 3000): Promise<Event> {
    this.send({
      cmd: 'publish',
      topic: `$dps/registrations/PUT/iotdps-register/?$rid=${rid}`,
      payload: JSON.stringify({ registrationId }),
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
    });
    return this.nextPublish(ms);
  }

  async poll(operationId: string, rid = '2'): Promise<Event> {
    this.send({
      cmd: 'publish',
      topic: `$dps/registrations/GET/iotdps-get-operationstatus/?$rid=${rid}&operationId=${operationId}`,
      payload: ' ',
      qos: 1,
      messageId: 2,
      retain: false,
      dup: false,
    });
    return this.nextPublish();
  }

  /** Skip PUBACKs and return the next PUBLISH (or close). */
  async nextPublish(ms = 3000): Promise<Event> {
    for (;;) {
      const e = await this.next(ms);
      if (e.cmd === 'publish' || e.cmd === 'closed') return e;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Status code and JSON body of a DPS response publish. */
export function dpsResponse(e: Event): { status: number; retryAfter?: number; body: string } {
  if (e.cmd !== 'publish') throw new Error(`expected a response, got ${e.cmd}`);
  const m = /^\$dps\/registrations\/res\/(\d+)\/\?(.*)$/.exec(e.topic);
  if (!m) throw new Error(`not a DPS response topic: ${e.topic}`);
  const q = new URLSearchParams(m[2]);
  const ra = q.get('retry-after');
  return { status: Number(m[1]), retryAfter: ra === null ? undefined : Number(ra), body: e.payload.toString() };
}
