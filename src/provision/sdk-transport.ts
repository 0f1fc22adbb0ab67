import type * as DpsMqtt from 'azure-iot-provisioning-device-mqtt';
import type { RegistrationRequest, DeviceRegistrationResult } from 'azure-iot-provisioning-device';
import type * as X509 from 'azure-iot-security-x509';
import type * as SymmetricKey from 'azure-iot-security-symmetric-key';
import { createMqttProvider, loadMqttBase, type ProviderHooks } from '../connection/mqtt-provider';
import type { ConnectionSession } from '../connection/session';
import { TRANSPORTS } from '../connection/transports';
import { logger } from '../log';
import type { DeviceAuth, TransportName } from './types';

const log = logger('provision');

/** The SDK's provisioning transport as we drive it (its public methods, promisified by the caller). */
export interface DpsTransport {
  registrationRequest(
    request: RegistrationRequest,
    cb: (err?: Error, result?: DeviceRegistrationResult, response?: unknown, pollingInterval?: number) => void,
  ): void;
  queryOperationStatus(
    request: RegistrationRequest,
    operationId: string,
    cb: (err?: Error, result?: DeviceRegistrationResult, response?: unknown, pollingInterval?: number) => void,
  ): void;
  cancel(cb: (err?: Error) => void): void;
  disconnect(cb: (err?: Error) => void): void;
}

/**
 * The unmodified SDK transport (`Mqtt` / `MqttWs` from azure-iot-provisioning-device-mqtt) over `new
 * MqttBase(provider)`,
 * where the provider is ours: every socket goes through `session`. Credentials come from the SDK's own security
 * clients (X509Security, SymmetricKeySecurityClient → SAS for `<idScope>/registrations/<registrationId>`).
 */
export async function createDpsTransport(
  session: ConnectionSession,
  kind: TransportName,
  auth: DeviceAuth,
  ids: { registrationId: string; idScope: string },
  hooks: ProviderHooks,
): Promise<DpsTransport> {
  // The SDK's provisioning packages (~40 modules) load on the first registration, not with the package: a boot from
  // the cached assignment never talks to DPS, and an app that imports early provisions later.
  const dpsMqtt = require('azure-iot-provisioning-device-mqtt') as typeof DpsMqtt;
  const MqttBase = loadMqttBase('azure-iot-provisioning-device-mqtt');
  const base = new MqttBase(createMqttProvider(session, kind, hooks));
  // The cast: our type declarations come from another copy of azure-iot-mqtt-base (private fields differ in the types
  // only).
  const transport = new dpsMqtt[TRANSPORTS[kind].sdkExport](base as never);
  // The SDK re-emits a dropped connection as 'error' when no call is waiting for it (between polls): with no
  // listener Node would throw and take the host process down. The next call reconnects and its own callback reports;
  // the retry policy bounds how often.
  (transport as unknown as NodeJS.EventEmitter).on('error', (err: Error) => log('DPS transport: %s', err.message));
  if ('symmetricKey' in auth) {
    const { SymmetricKeySecurityClient } = require('azure-iot-security-symmetric-key') as typeof SymmetricKey;
    const security = new SymmetricKeySecurityClient(ids.registrationId, auth.symmetricKey);
    const sas = await (security.createSharedAccessSignature(ids.idScope) as Promise<{ toString(): string }>);
    transport.setSharedAccessSignature(sas.toString());
  } else {
    const { X509Security } = require('azure-iot-security-x509') as typeof X509;
    const security = new X509Security(ids.registrationId, {
      cert: String(auth.cert),
      key: String(auth.key),
      ...(auth.passphrase ? { passphrase: auth.passphrase } : {}),
    });
    const cert = await new Promise<{ cert: string; key: string }>((resolve, reject) =>
      security.getCertificate((err, c) =>
        err || !c ? reject(err ?? new Error('no certificate')) : resolve(c as { cert: string; key: string }),
      ),
    );
    transport.setAuthentication(cert);
  }
  return transport as unknown as DpsTransport;
}
