/**
 * A queue between a broker's reader (which pushes) and the ingest loop (which pulls one
 * message at a time), as an async iterator. `fail` makes the next pull throw; `end` makes
 * it finish once the queue is empty. `size` lets the reader hold back when the ingest is
 * slower than the broker.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;
  private drained: (() => void) | null = null;
  private drainLimit = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
  }

  fail(error: unknown): void {
    if (this.failure !== null || this.ended) return;
    this.failure = { error };
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  end(): void {
    this.ended = true;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve({ value: undefined, done: true });
    this.drained?.();
  }

  /** Resolves once the queue holds fewer than `limit` items, or after `ms` at the latest. */
  async below(limit: number, ms: number): Promise<void> {
    if (this.size < limit) return;
    this.drainLimit = limit;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.drained = done;
    });
    this.drained = null;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.items[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      if (this.drained !== null && this.size < this.drainLimit) this.drained();
      return Promise.resolve({ value, done: false });
    }
    if (this.failure !== null) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
