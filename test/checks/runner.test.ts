import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load';
import { CHECKS, assertRegistry, checkIds, defineRegistry } from '../../src/checks/registry';
import { renderCheck, renderSummary, SYMBOLS } from '../../src/checks/render';
import { exitCodeOf, runChecks, summarize } from '../../src/checks/runner';
import { SECTIONS, type Check, type CheckContext } from '../../src/checks/types';
import { DpsPrivateLinkError } from '../../src/errors';
import { createFinding } from '../../src/findings/finding';

function ctx(): CheckContext {
  const loaded = loadConfig({});
  return {
    loaded,
    config: loaded.config,
    settings: { register: false, compareSystem: false, timeoutMs: 1000, now: () => new Date() },
    state: {},
  };
}

const ok = (id: string, dependsOn?: string[]): Check => ({
  id,
  title: id,
  section: 'dns',
  ...(dependsOn ? { dependsOn } : {}),
  run: () => ({}),
});

describe('check runner', () => {
  it('turns a thrown error into an error result with the cause chain, and keeps running', async () => {
    const boom: Check = {
      id: 'boom',
      title: 'throws',
      section: 'dns',
      run: () => {
        throw new DpsPrivateLinkError('ERR_X' as never, 'outer', {
          cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }),
        });
      },
    };
    const reports = await runChecks([boom, ok('after')], ctx());
    assert.equal(reports[0]?.result, 'error');
    assert.deepEqual(reports[0]?.errorChain, ['ERR_X: outer', 'ECONNRESET: inner']);
    assert.equal(reports[1]?.result, 'ok');
  });

  it('skips a check whose dependency failed, naming it, and chains the skip', async () => {
    const fail: Check = { id: 'a', title: 'a', section: 'dns', run: () => ({ result: 'error' }) };
    const reports = await runChecks([fail, ok('b', ['a']), ok('c', ['b'])], ctx());
    assert.deepEqual(
      reports.map((r) => r.result),
      ['error', 'skipped', 'skipped'],
    );
    assert.equal(reports[1]?.detail, 'skipped: a was error');
    assert.equal(reports[2]?.detail, 'skipped: b was skipped');
  });

  it('runs a check whose dependency only warned', async () => {
    const warn: Check = { id: 'a', title: 'a', section: 'dns', run: () => ({ result: 'warning' }) };
    const reports = await runChecks([warn, ok('b', ['a'])], ctx());
    assert.equal(reports[1]?.result, 'ok');
  });

  it('runs checks that declare what they wait for concurrently, and reports them in registry order', async () => {
    // `slow` can only finish once `fast` (later in the registry) has run: strictly sequential, this would hang.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow: Check = {
      id: 'slow',
      title: 'slow',
      section: 'dns',
      after: [],
      run: async () => (await gate, { detail: 'slow done' }),
    };
    const fast: Check = {
      id: 'fast',
      title: 'fast',
      section: 'dns',
      after: [],
      run: () => (open(), { detail: 'fast done' }),
    };
    const order: string[] = [];
    const started: string[] = [];
    const reports = await runChecks([slow, fast, ok('last')], ctx(), {
      onStart: (c) => started.push(c.id),
      onResult: (r) => order.push(r.id),
    });
    assert.deepEqual(started.slice(0, 2), ['slow', 'fast']);
    assert.deepEqual(order, ['slow', 'fast', 'last']);
    assert.deepEqual(
      reports.map((r) => r.detail),
      ['slow done', 'fast done', undefined],
    );
  });

  it('a check without `after` waits for every earlier check; one with `after` waits for those and its dependencies', async () => {
    const log: string[] = [];
    const step = (id: string, ms: number, extra: Partial<Check> = {}): Check => ({
      id,
      title: id,
      section: 'dns',
      ...extra,
      run: async () => {
        log.push(`start ${id}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${id}`);
        return {};
      },
    });
    await runChecks(
      [step('a', 30, { after: [] }), step('b', 1, { after: [] }), step('c', 1), step('d', 1, { after: ['b'] })],
      ctx(),
    );
    // c (no `after`) starts only once a and b both ended; d waits for b only, so it starts while a still runs.
    assert.ok(log.indexOf('start c') > log.indexOf('end a'), log.join(', '));
    assert.ok(log.indexOf('start b') < log.indexOf('end a'), log.join(', '));
    assert.ok(log.indexOf('start d') < log.indexOf('end a'), log.join(', '));
  });

  it('skips a concurrent check whose dependency failed, once that dependency finished', async () => {
    const fail: Check = {
      id: 'a',
      title: 'a',
      section: 'dns',
      after: [],
      run: async () => (await new Promise((r) => setTimeout(r, 5)), { result: 'error' as const }),
    };
    const reports = await runChecks([fail, { ...ok('b', ['a']), after: [] }], ctx());
    assert.deepEqual(
      reports.map((r) => r.result),
      ['error', 'skipped'],
    );
    assert.equal(reports[1]?.detail, 'skipped: a was error');
  });

  it('derives the result from the worst finding when the check does not say', async () => {
    const finding = createFinding('DEVICE_CERT_EXPIRES_SOON', {
      subject: 'CN=x',
      notBefore: 'a',
      notAfter: 'b',
      now: 'c',
    });
    const c: Check = { id: 'w', title: 'w', section: 'dns', run: () => ({ findings: [finding] }) };
    assert.equal((await runChecks([c], ctx()))[0]?.result, 'warning');
  });

  it('exits 0 with warnings, 1 with an error or with warnings under --warnings-as-errors', () => {
    assert.equal(exitCodeOf({ ok: 3, warning: 1, error: 0, skipped: 1 }), 0);
    assert.equal(exitCodeOf({ ok: 3, warning: 1, error: 0, skipped: 1 }, true), 1);
    assert.equal(exitCodeOf({ ok: 3, warning: 0, error: 1, skipped: 0 }), 1);
    assert.equal(exitCodeOf({ ok: 3, warning: 0, error: 0, skipped: 9 }, true), 0);
  });

  it('summarises as "N ok, N warnings, N errors, N skipped"', () => {
    assert.equal(renderSummary(summarize([])), '0 ok, 0 warnings, 0 errors, 0 skipped');
  });

  it('prints √ ‼ × - and colours only when asked', async () => {
    assert.deepEqual(SYMBOLS, { ok: '√', warning: '‼', error: '×', skipped: '-' });
    const [r] = await runChecks(
      [{ id: 'x', title: 'X', section: 'tls', run: () => ({ result: 'error', detail: 'd' }) }],
      ctx(),
    );
    assert.ok(r);
    assert.equal(renderCheck(r, { colour: false, verbose: false }), '  × x: X — d');
    assert.match(renderCheck(r, { colour: true, verbose: false }), /\x1b\[31m×\x1b\[0m/);
  });
});

describe('check registry', () => {
  it('is in section order with every dependency earlier, and ids are unique kebab-case', () => {
    assertRegistry();
    for (const id of checkIds()) assert.match(id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.deepEqual(
      [...new Set(CHECKS.map((c) => c.section))],
      SECTIONS.filter((s) => CHECKS.some((c) => c.section === s)),
    );
  });

  it('pins the check ids (scripts rely on them: changing one is a breaking change)', () => {
    assert.deepEqual(checkIds(), [
      'config-well-formed',
      'dps-host',
      'dps-dns',
      'dps-tcp-mqtt',
      'dps-tcp-websocket',
      'tls-environment',
      'dps-tls-mqtt',
      'dps-tls-websocket',
      'clock-skew',
      'device-cert',
      'device-cert-validity',
      'device-key-match',
      'device-cert-cn',
      'device-cert-chain',
      'dps-cache',
      'dps-register',
      'hub-dns',
      'hub-tcp-mqtt',
      'hub-tcp-websocket',
      'hub-tls-mqtt',
      'hub-tls-websocket',
    ]);
  });

  it('refuses a registry with a dependency on a later check', () => {
    assert.throws(() => assertRegistry([ok('b', ['a']), ok('a')]), /depends on a, which does not run before it/);
    assert.throws(
      () => assertRegistry([{ ...ok('b'), after: ['a'] }, ok('a')]),
      /runs after a, which does not run before it/,
    );
  });

  it('is validated where it is built: defineRegistry throws at once on a misordered registry', () => {
    assert.throws(
      () =>
        defineRegistry([
          { ...ok('late'), section: 'hub' },
          { ...ok('early'), section: 'configuration' },
        ]),
      /check early \(section configuration\) is out of section order/,
    );
    assert.throws(() => defineRegistry([ok('a'), ok('a')]), /duplicate check id a/);
    assert.throws(() => defineRegistry([ok('b', ['a']), ok('a')]), /depends on a, which does not run before it/);
    assert.throws(() => defineRegistry([{ ...ok('b'), after: ['a'] }, ok('a')]), /runs after a/);
    const good = defineRegistry([ok('a'), ok('b', ['a'])]);
    assert.deepEqual(checkIds(good), ['a', 'b']);
    assert.ok(Object.isFrozen(good) && Object.isFrozen(CHECKS), 'a built registry cannot be reordered later');
  });
});
