// --compare-system (and the system path of verifyEndpoint) through the real getaddrinfo, never the host's
// resolver: a child process runs in its own network and mount namespace (unshare -n -m, root only) whose
// /etc/resolv.conf names only loopback.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasDnsmasq } from '../endpoint/dnsmasq-peer';
import { tempDir } from './fixtures';

const ROOT = path.join(__dirname, '..', '..');

function canUnshare(): boolean {
  return (
    process.getuid?.() === 0 &&
    spawnSync('unshare', ['-n', '-m', 'true'], { stdio: 'ignore' }).status === 0 &&
    spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0
  );
}

interface ChildFinding {
  code: string;
  severity: string;
  resolver: string;
  message: string;
}

describe('dps-dns --compare-system with the real getaddrinfo (own namespace and resolv.conf)', function () {
  this.timeout(60_000);
  const dir = tempDir('dps-gai-');
  const resolvConf = path.join(dir, 'resolv.conf');
  before(function () {
    if (!canUnshare()) {
      console.log(
        '    SKIPPED: needs root with unshare -n -m (the system resolver is never asked on the host network)',
      );
      this.skip();
    }
    // One try, one second: glibc's defaults (5 s × 2) would only slow the test down.
    writeFileSync(resolvConf, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  });

  function runChild(mode: 'dead' | 'public' | 'rebind'): ChildFinding[] {
    const script = [
      `mount --bind ${JSON.stringify(resolvConf)} /etc/resolv.conf`,
      'ip link set lo up',
      'ip addr add 127.0.0.2/8 dev lo 2>/dev/null || true',
      `exec ${JSON.stringify(process.execPath)} --require tsx/cjs test/checks/compare-system-child.ts ${mode}`,
    ].join(' && ');
    const child = spawnSync('unshare', ['-n', '-m', 'sh', '-c', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 45_000,
    });
    assert.equal(child.status, 0, `child failed: ${child.stderr}`);
    return (JSON.parse(child.stdout) as { findings: ChildFinding[] }).findings;
  }

  it('no DNS server answers getaddrinfo (EAI_AGAIN): a warning that the plain SDK fails there', () => {
    const findings = runChild('dead');
    assert.deepEqual(
      findings.map((f) => [f.code, f.severity, f.resolver]),
      [['DNS_QUERY_FAILED', 'warning', 'system']],
    );
    assert.match(findings[0]?.message ?? '', /EAI_AGAIN/);
    assert.match(findings[0]?.message ?? '', /plain SDK/);
  });

  it('getaddrinfo behind dnsmasq --stop-dns-rebind: DNS_NXDOMAIN that names the rebind filter as a cause', function () {
    if (!hasDnsmasq()) this.skip();
    const findings = runChild('rebind');
    assert.deepEqual(
      findings.map((f) => [f.code, f.resolver]),
      [['DNS_NXDOMAIN', 'system']],
    );
    assert.match(findings[0]?.message ?? '', /ENOTFOUND/);
    assert.match(findings[0]?.message ?? '', /DNS-rebinding filter/);
  });

  it('getaddrinfo answers the public address: DNS_RESOLVERS_DISAGREE', () => {
    const findings = runChild('public');
    assert.deepEqual(
      findings.map((f) => [f.code, f.severity, f.resolver]),
      [['DNS_RESOLVERS_DISAGREE', 'warning', 'system']],
    );
    assert.match(findings[0]?.message ?? '', /20\.50\.1\.2/);
  });
});
