'use strict';
// Preloaded (--require) into every device-worker process, both sides: names resolve through the lab DNS server
// (DPL_LAB_DNS = 'ip:port'), as a device whose resolv.conf names it would, and never through the system resolver.
// The plain SDK (B) needs it to find the lab; ours (A) is given the same server as network.dnsServers and does not
// use it, but pays its load too. An answer that is not loopback fails with ENOTFOUND, so B cannot dial off the host.
// IP literals go to Node's own lookup untouched (dgram looks up its implicit 0.0.0.0 bind address through it).
const dns = require('node:dns');
const net = require('node:net');

const server = process.env.DPL_LAB_DNS;
if (!server) throw new Error('lab-resolver: DPL_LAB_DNS is not set');
const resolver = new dns.Resolver({ timeout: 1000, tries: 3 });
resolver.setServers([server]);
const original = dns.lookup;

function notFound(hostname, why) {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (lab DNS ${server}: ${why})`), {
    code: 'ENOTFOUND',
    hostname,
  });
}

dns.lookup = function lookup(hostname, options, callback) {
  if (net.isIP(hostname)) return original.call(dns, hostname, options, callback);
  const cb = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  resolver.resolve4(hostname, (err, addresses) => {
    if (err || addresses.length === 0) return cb(notFound(hostname, err ? err.code : 'no address'));
    if (!addresses.every((a) => a.startsWith('127.'))) return cb(notFound(hostname, `${addresses} is not loopback`));
    if (all)
      return cb(
        null,
        addresses.map((address) => ({ address, family: 4 })),
      );
    return cb(null, addresses[0], 4);
  });
};

// DPL_BENCH_NODELAY=1: every TCP socket of the process sets TCP_NODELAY, as ours does. mqtt.js 4 (under the plain SDK)
// leaves Nagle on, so on loopback each of its small writes waits for the peer's delayed ACK (~40 ms a registration):
// a real cost of the SDK as written, but one that hides every other difference, so provision-overhead measures B with
// it removed and reports the SDK as written beside it.
if (process.env.DPL_BENCH_NODELAY === '1') {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connectNoDelay(...args) {
    this.setNoDelay(true);
    return connect.apply(this, args);
  };
}
