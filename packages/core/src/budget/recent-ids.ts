/**
 * Ids remembered for a bounded time and number, in two generations: the newer one takes new ids, the older one
 * is dropped whole. An id is kept at least `spanMs` (by the times passed to `tidy`), unless `limit` newer ids
 * pushed it out first. Dropping a whole Map keeps every operation O(1): deleting the oldest entries of one large
 * Map one by one is not (V8 walks the deleted slots at its front on every `keys().next()`).
 */
export class RecentIds<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  /** When the first id of each generation was added, and when the older one stopped taking ids. */
  private currentSince = 0;
  private previousSince = 0;
  private previousEnds = 0;

  constructor(
    private readonly spanMs: number,
    private readonly limit: number,
  ) {}

  get size() {
    return this.current.size + this.previous.size;
  }

  get(id: string): V | undefined {
    const value = this.current.get(id);
    return value === undefined ? this.previous.get(id) : value;
  }

  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }

  delete(id: string): boolean {
    return this.current.delete(id) || this.previous.delete(id);
  }

  set(id: string, value: V, at: number) {
    if (this.current.size === 0) this.currentSince = at;
    this.current.set(id, value);
    if (this.current.size >= this.limit / 2) this.rotate(at);
  }

  /** Forgets the older generation once its newest id is `spanMs` old at `now`, then ages the newer one. */
  tidy(now: number) {
    if (this.previous.size > 0 && now - this.previousEnds >= this.spanMs) this.previous = new Map();
    if (this.previous.size === 0 && this.current.size > 0 && now - this.currentSince >= this.spanMs) this.rotate(now);
  }

  private rotate(at: number) {
    this.previous = this.current;
    this.previousSince = this.currentSince;
    this.previousEnds = at;
    this.current = new Map();
  }

  /** Every id with its value and a time no later than when it was added, oldest generation first. */
  *entries(): Generator<[id: string, value: V, since: number]> {
    for (const [id, value] of this.previous) yield [id, value, this.previousSince];
    for (const [id, value] of this.current) yield [id, value, this.currentSince];
  }
}
