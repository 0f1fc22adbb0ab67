// BoundedMap: the process-wide memos' one eviction rule (oldest set goes first; setting again renews).
import assert from 'node:assert/strict';
import { BoundedMap } from '../src/support/bounded-map';

describe('support: BoundedMap', () => {
  it('holds at most its limit, dropping the entry set longest ago', () => {
    const m = new BoundedMap<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) m.set(k, i);
    assert.deepEqual([...m.keys()], ['b', 'c', 'd']);
    assert.equal(m.size, 3);
  });

  it('setting a key again moves it to the newest place (least recently used goes first)', () => {
    const m = new BoundedMap<string, number>(3);
    m.set('a', 1).set('b', 2).set('c', 3);
    m.set('a', 10);
    m.set('d', 4);
    assert.deepEqual(
      [...m.entries()],
      [
        ['c', 3],
        ['a', 10],
        ['d', 4],
      ],
    );
    assert.equal(m.has('b'), false, 'b, the least recently set, went');
  });

  it('replacing a key when full keeps the others', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2).set('b', 3);
    assert.deepEqual(
      [...m.entries()],
      [
        ['a', 1],
        ['b', 3],
      ],
    );
  });
});
