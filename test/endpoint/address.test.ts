import assert from 'node:assert/strict';
import { classifyAddress, isInCidrs, parseCidrs, parseDnsServer } from '../../src/endpoint/address';
import { InvalidOptionError } from '../../src/errors';

describe('classifyAddress', () => {
  const table: [string, string][] = [
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.1', 'shared'],
    ['fd00:1::6', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['127.0.0.1', 'loopback'],
    ['127.10.0.5', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['20.61.4.5', 'public'],
    ['172.32.0.1', 'public'],
    ['2603:1020::1', 'public'],
    ['::ffff:10.1.2.3', 'private'],
    ['0.0.0.0', 'other'],
    ['224.0.0.1', 'other'],
    ['not-an-ip', 'other'],
    ['010.1.2.3', 'other'],
  ];
  for (const [ip, cls] of table) it(`classifies ${ip} as ${cls}`, () => assert.equal(classifyAddress(ip), cls));
});

describe('parseCidrs', () => {
  it('normalises ranges and matches addresses inside them only', () => {
    const cidrs = parseCidrs(['10.1.2.3/16', 'fd00:1::/64', '192.168.5.5'], 'network.expectedCidrs');
    assert.deepEqual(
      cidrs.map((c) => c.text),
      ['10.1.0.0/16', 'fd00:1::/64', '192.168.5.5/32'],
    );
    assert.equal(isInCidrs('10.1.255.255', cidrs), true);
    assert.equal(isInCidrs('10.2.0.1', cidrs), false);
    assert.equal(isInCidrs('fd00:1::abcd', cidrs), true);
    assert.equal(isInCidrs('fd00:2::1', cidrs), false);
    assert.equal(isInCidrs('192.168.5.5', cidrs), true);
    assert.equal(isInCidrs('192.168.5.6', cidrs), false);
    assert.equal(isInCidrs('::ffff:10.1.0.9', cidrs), true, 'IPv4-mapped IPv6 matches the IPv4 range');
  });

  const bad: [unknown, RegExp][] = [
    ['10.1.0.0/33', /expectedCidrs\[0\].*prefix length "33"/],
    ['10.1.0/16', /expectedCidrs\[0\].*does not start with an IP address/],
    ['vnet-a', /expectedCidrs\[0\].*"vnet-a"/],
    ['10.1.0.0/', /prefix length ""/],
    ['10.1.0.0/x', /prefix length "x"/],
    ['fd00::/129', /expected 0-128/],
    [42, /expected a CIDR string, got number 42/],
  ];
  for (const [value, message] of bad) {
    it(`refuses ${JSON.stringify(value)} with InvalidOptionError naming the entry`, () => {
      assert.throws(
        () => parseCidrs([value as string], 'network.expectedCidrs'),
        (err: unknown) =>
          err instanceof InvalidOptionError &&
          err.option === 'network.expectedCidrs[0]' &&
          message.test(err.message) &&
          /10\.1\.0\.0\/16/.test(err.message),
      );
    });
  }
  it('names the index of the bad entry', () => {
    assert.throws(() => parseCidrs(['10.1.0.0/16', 'nope'], 'network.expectedCidrs'), {
      option: 'network.expectedCidrs[1]',
    });
  });
});

describe('parseDnsServer', () => {
  const good: [string, string, number, 4 | 6][] = [
    ['10.1.0.4', '10.1.0.4', 53, 4],
    ['127.0.0.53:5353', '127.0.0.53', 5353, 4],
    ['::1', '::1', 53, 6],
    ['[::1]:5353', '::1', 5353, 6],
    ['[fd00::53]', 'fd00::53', 53, 6],
  ];
  for (const [input, address, port, family] of good) {
    it(`parses ${input}`, () =>
      assert.deepEqual(parseDnsServer(input, 'network.dnsServers[0]'), { label: input, address, port, family }));
  }
  const bad = [
    'dns.google',
    '10.1.0.4:0',
    '10.1.0.4:65536',
    '10.1.0.4:abc',
    '[10.1.0.4]:53',
    '',
    '10.1.0.4:',
    '[::1]:',
  ];
  for (const input of bad) {
    it(`refuses ${JSON.stringify(input)} naming the option and the fix`, () => {
      assert.throws(
        () => parseDnsServer(input, 'network.dnsServers[2]'),
        (err: unknown) =>
          err instanceof InvalidOptionError &&
          err.option === 'network.dnsServers[2]' &&
          err.message.includes(JSON.stringify(input)) &&
          err.message.includes("'10.1.0.4:5353'"),
      );
    });
  }
});
