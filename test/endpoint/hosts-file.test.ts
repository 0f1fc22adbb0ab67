import assert from 'node:assert/strict';
import { hostsFileAddresses, parseHostsFile } from '../../src/endpoint/hosts-file';

describe('hosts file parsing', () => {
  const text = [
    '127.0.0.1\tlocalhost',
    '# 10.1.2.3 mydps.azure-devices-provisioning.net   (commented out)',
    '10.1.2.4   other.example  MyDps.Azure-Devices-Provisioning.NET.  # pinned',
    'fd00:1::4 mydps.azure-devices-provisioning.net\r',
    'not-an-ip mydps.azure-devices-provisioning.net',
    '10.1.2.4 mydps.azure-devices-provisioning.net',
    '',
  ].join('\n');
  it('finds every address for the name (case-insensitive, aliases, IPv6, CRLF), skipping comments and junk', () => {
    assert.deepEqual(parseHostsFile(text, 'mydps.azure-devices-provisioning.net'), ['10.1.2.4', 'fd00:1::4']);
    assert.deepEqual(parseHostsFile(text, 'nothere.example'), []);
  });
  it('treats a missing hosts file as empty', async () => {
    assert.deepEqual(await hostsFileAddresses('mydps.azure-devices-provisioning.net', '/nonexistent/dir/hosts'), []);
  });
});
