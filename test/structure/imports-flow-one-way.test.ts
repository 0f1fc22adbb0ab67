// The one-way flow of design.md §3, checked on the source: a module may import only from its own folder or from a
// folder below it, and no chain of imports (type-only ones included) comes back to where it started.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', '..', 'src');

/** Lower first. A folder (or top-level file) may import from any rank below its own, never from its own rank. */
const LAYERS: readonly (readonly string[])[] = [
  // What may be shown of a value: below everything, so every layer (the logger first) can use it.
  ['redact'],
  ['log'],
  ['findings'],
  ['errors'],
  // Shared mechanisms with no domain knowledge: abort/delay, atomic file writes, redaction.
  ['support'],
  ['config'],
  ['endpoint'],
  ['connection'],
  ['provision'],
  ['handoff'],
  ['checks', 'lab'],
  ['demo', 'index', 'diagnostics'],
];
const RANK = new Map(LAYERS.flatMap((names, rank) => names.map((n) => [n, rank] as const)));

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The area of a file: its top folder under src/, or the file's own name for top-level files. */
function areaOf(file: string): string {
  const [first, ...rest] = path.relative(SRC, file).split(path.sep);
  return rest.length ? first : first.replace(/\.ts$/, '');
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
}

/** Every relative import of every file: `from '…'`, `require('…')`, `import('…')`, `typeof import('…')`. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)]
      .map((m) => resolveImport(file, m[1]))
      .filter((t): t is string => t !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('structure: imports flow one way (design.md §3)', () => {
  const graph = importGraph();

  it('every area of src/ has a layer', () => {
    const unknown = [...new Set([...graph.keys()].map(areaOf))].filter((a) => !RANK.has(a));
    assert.deepEqual(unknown, [], `give these a layer in LAYERS: ${unknown.join(', ')}`);
  });

  it('no module imports from its own layer or above (other than its own folder)', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = areaOf(file);
      for (const target of targets) {
        const to = areaOf(target);
        if (to !== from && (RANK.get(to) ?? Infinity) >= (RANK.get(from) ?? -1)) {
          upward.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
        }
      }
    }
    assert.deepEqual(upward, []);
  });

  it('no import cycle between files', () => {
    const cycle = findCycle(graph);
    assert.equal(cycle?.map((f) => path.relative(SRC, f)).join(' -> '), undefined);
  });

  it('the checker sees a cycle and an upward import when there is one (it can fail)', () => {
    const fake = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    assert.deepEqual(findCycle(fake), ['a', 'b', 'c', 'a']);
    assert.equal(areaOf(path.join(SRC, 'provision', 'x.ts')), 'provision');
    assert.ok((RANK.get('provision') ?? 0) < (RANK.get('handoff') ?? 0));
  });
});
