/**
 * A Map of at most `limit` entries, for the process-wide memos (parsed credentials, TLS contexts, resolved options,
 * hosts files, peer roots): a long-lived caller cycling through ever new inputs must not grow them forever. Setting a
 * key when full drops the entry set longest ago; setting a key again moves it to the newest place, so a caller that
 * sets on a hit keeps the entries it still uses (least recently used goes first).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    this.delete(key);
    if (this.size >= this.limit) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}
