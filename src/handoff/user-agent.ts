import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * The user agent azure-iot-device sends in its MQTT username (`DeviceClientType`), in the SDK's own format —
 * `azure-iot-device/<version> (node <version>; <os>; <arch>)` — with the OS read from /etc/os-release instead of
 * the SDK's probe (getos: stat release files one by one, then run `lsb_release -a`, a Python script on Debian and
 * Raspberry Pi OS). Elsewhere the SDK itself uses `os.type() os.release()`; so does this when os-release is unreadable.
 */
export function sdkUserAgent(osRelease = '/etc/os-release'): string {
  const { version } = require('azure-iot-device/package.json') as { version: string };
  return `azure-iot-device/${version} (node ${process.version}; ${osName(osRelease)}; ${os.arch()})`;
}

function osName(osRelease: string): string {
  const kernel = `${os.type()} ${os.release()}`;
  if (os.platform() !== 'linux') return kernel;
  let text: string;
  try {
    text = readFileSync(osRelease, 'utf8');
  } catch {
    return kernel;
  }
  const field = (key: string): string | undefined =>
    new RegExp(`^${key}=(["']?)(.*)\\1\\s*$`, 'm').exec(text)?.[2]?.trim() || undefined;
  const name = field('NAME');
  if (!name) return kernel;
  const version = field('VERSION_ID');
  return version ? `${name} ${version}` : name;
}
