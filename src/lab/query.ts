import { InvalidOptionError } from '../errors';
import type { LabHandle } from './types';

/**
 * The subset of the IoT Hub query language an operator's posture queries use, evaluated over the lab hub's twins:
 * `SELECT deviceId FROM devices [WHERE <condition>]`, where a condition is `<path> <op> <literal>` (op = != <> < > <=
 * >=; literal a 'string', a number, true, false or null), `IS_DEFINED(<path>)`, `NOT`, `AND`, `OR` and parentheses.
 * Paths are `deviceId` or `properties.reported.…`. As in IoT Hub, a comparison with an undefined property or a value
 * of another type is undefined, and a device is selected only when the whole condition is true.
 */

/** One twin as a query sees it. */
export interface QueryTwin {
  deviceId: string;
  reported: Record<string, unknown>;
}

type Literal = string | number | boolean | null;
type Condition =
  | { kind: 'compare'; path: string[]; op: string; value: Literal }
  | { kind: 'defined'; path: string[] }
  | { kind: 'not'; inner: Condition }
  | { kind: 'and' | 'or'; left: Condition; right: Condition };

/** Three-valued logic, as the service's: `undefined` is neither true nor false. */
type Truth = boolean | undefined;

const TOKEN =
  /\s*(?:('(?:[^']|'')*')|(-?\d+(?:\.\d+)?)|(!=|<>|<=|>=|=|<|>|\(|\)|,|\*)|([A-Za-z_$][\w$]*(?:\.[\w$]+)*))/y;

/** Tokens of a query: strings keep their quotes, so a string can never be taken for a keyword. */
function tokenize(sql: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < sql.length && (m = TOKEN.exec(sql))) tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  if (sql.slice(TOKEN.lastIndex).trim() !== '') fail(`cannot read ${JSON.stringify(sql.slice(TOKEN.lastIndex, 40))}`);
  return tokens;
}

function fail(problem: string): never {
  throw new InvalidOptionError(
    'sql',
    problem,
    "Use SELECT deviceId FROM devices WHERE <path> <op> <literal> [AND|OR …], e.g. WHERE properties.reported.privateLink.dps.verdict != 'private-in-vnet'.",
  );
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: string[]) {}

  private peek(): string | undefined {
    return this.tokens[this.at];
  }
  private next(): string {
    const t = this.tokens[this.at++];
    if (t === undefined) fail('the query ends too early');
    return t;
  }
  private keyword(word: string): boolean {
    if (this.peek()?.toUpperCase() !== word) return false;
    this.at++;
    return true;
  }
  private expect(word: string): void {
    const t = this.next();
    if (t.toUpperCase() !== word) fail(`expected ${word}, found ${JSON.stringify(t)}`);
  }

  query(): { select: 'deviceId' | '*'; where?: Condition } {
    this.expect('SELECT');
    const select = this.next();
    if (select !== 'deviceId' && select !== '*') fail(`only SELECT deviceId or SELECT * is supported, not ${select}`);
    this.expect('FROM');
    this.expect('DEVICES');
    const where = this.keyword('WHERE') ? this.or() : undefined;
    if (this.peek() !== undefined) fail(`unexpected ${JSON.stringify(this.peek())}`);
    return where ? { select, where } : { select };
  }

  private or(): Condition {
    let left = this.and();
    while (this.keyword('OR')) left = { kind: 'or', left, right: this.and() };
    return left;
  }
  private and(): Condition {
    let left = this.unary();
    while (this.keyword('AND')) left = { kind: 'and', left, right: this.unary() };
    return left;
  }
  private unary(): Condition {
    if (this.keyword('NOT')) return { kind: 'not', inner: this.unary() };
    if (this.peek() === '(') {
      this.at++;
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (this.keyword('IS_DEFINED')) {
      this.expect('(');
      const path = this.path();
      this.expect(')');
      return { kind: 'defined', path };
    }
    const path = this.path();
    const op = this.next();
    if (!['=', '!=', '<>', '<', '>', '<=', '>='].includes(op)) fail(`${JSON.stringify(op)} is not a comparison`);
    return { kind: 'compare', path, op: op === '<>' ? '!=' : op, value: this.literal() };
  }
  private path(): string[] {
    const t = this.next();
    if (!/^[A-Za-z_$]/.test(t) || /^(AND|OR|NOT)$/i.test(t))
      fail(`expected a property path, found ${JSON.stringify(t)}`);
    const path = t.split('.');
    if (path[0] !== 'deviceId' && !(path[0] === 'properties' && path[1] === 'reported'))
      fail(`${t}: only deviceId and properties.reported.… paths are supported`);
    return path;
  }
  private literal(): Literal {
    const t = this.next();
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (/^-?\d/.test(t)) return Number(t);
    if (/^true$/i.test(t)) return true;
    if (/^false$/i.test(t)) return false;
    if (/^null$/i.test(t)) return null;
    return fail(`${JSON.stringify(t)} is not a literal ('text', a number, true, false, null)`);
  }
}

function lookup(twin: QueryTwin, path: string[]): unknown {
  if (path[0] === 'deviceId') return path.length === 1 ? twin.deviceId : undefined;
  let v: unknown = twin.reported;
  for (const key of path.slice(2)) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function compare(actual: unknown, op: string, expected: Literal): Truth {
  if (actual === undefined) return undefined;
  if (expected === null || actual === null) {
    if (op === '=') return actual === expected;
    if (op === '!=') return actual !== expected;
    return undefined;
  }
  if (typeof actual !== typeof expected) return undefined;
  const a = actual as string | number | boolean;
  switch (op) {
    case '=':
      return a === expected;
    case '!=':
      return a !== expected;
    case '<':
      return a < expected;
    case '>':
      return a > expected;
    case '<=':
      return a <= expected;
    default:
      return a >= expected;
  }
}

function evaluate(c: Condition, twin: QueryTwin): Truth {
  switch (c.kind) {
    case 'compare':
      return compare(lookup(twin, c.path), c.op, c.value);
    case 'defined':
      return lookup(twin, c.path) !== undefined;
    case 'not': {
      const v = evaluate(c.inner, twin);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      const [l, r] = [evaluate(c.left, twin), evaluate(c.right, twin)];
      return l === false || r === false ? false : l === true && r === true ? true : undefined;
    }
    default: {
      const [l, r] = [evaluate(c.left, twin), evaluate(c.right, twin)];
      return l === true || r === true ? true : l === false && r === false ? false : undefined;
    }
  }
}

/**
 * Runs `sql` over `twins`: `SELECT deviceId` gives `{ deviceId }` rows, `SELECT *` gives `{ deviceId, properties:
 * { reported } }`, in device order. @throws InvalidOptionError (option `sql`) for a query outside the subset.
 */
export function runTwinQuery(twins: readonly QueryTwin[], sql: string): Record<string, unknown>[] {
  if (typeof sql !== 'string') fail(`expected a query string, got ${typeof sql}`);
  const q = new Parser(tokenize(sql)).query();
  return twins
    .filter((t) => !q.where || evaluate(q.where, t) === true)
    .map((t) =>
      q.select === 'deviceId'
        ? { deviceId: t.deviceId }
        : { deviceId: t.deviceId, properties: { reported: t.reported } },
    );
}

/**
 * Runs an operator's IoT Hub query over the twins of a running lab's hub (see {@link LabHandle.queryTwins}): the
 * README's fleet posture queries, checked against what devices really reported.
 */
export function queryTwins(lab: LabHandle, sql: string): Record<string, unknown>[] {
  return lab.queryTwins(sql);
}
