/**
 * The store boundary (SPEC 3): what ingest, backfill and query need from a store, in
 * batch-shaped calls (a slice of bucket loads or writes per call, never one call per bucket
 * from the core's loops). SQLite implements it (store/sqlite/ and the tables beside it);
 * another backend implements the same interfaces and passes the same contract suite
 * (test/unit/store/store-contract.ts).
 */

/** Transactions, and how a connection learns that another one committed. */
export interface StoreTransactions {
  /**
   * Runs `fn` in one read snapshot: every read inside sees one committed state. Nested
   * calls join the open transaction.
   */
  read<T>(fn: () => T): T;
  /** `fn` as a function that runs in one read snapshot each call, made once (for a hot path such as a query). */
  reader<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
  /**
   * Runs `fn` under the store's write lock, taken before the first read (so a
   * read-modify-write inside cannot race another writer); commits when `fn` returns,
   * rolls back when it throws.
   */
  write<T>(fn: () => T): T;
  /**
   * An open-ended write transaction, for a batch applied in several calls (ingest applies
   * a transaction's rows slice by slice): `begin` takes the write lock, `commit` or
   * `rollback` ends it.
   */
  begin(): void;
  commit(): void;
  /** Rolls back the open transaction, if any. */
  rollback(): void;
  readonly inTransaction: boolean;
  /**
   * A value that changes whenever another connection commits, and only then: a cache of
   * what the store holds is valid while it stays the same. Read inside a transaction, it
   * describes that transaction's snapshot.
   */
  changeToken(): number;
}

/** Bucket states of (series, bucket size, group key, bucket start). */
export interface BucketStore {
  /** The stored states among `probes` of one (series, size); calls `found` with each present probe's index. */
  getMany(seriesId: number, bucketMs: number, probes: readonly { readonly keys: readonly string[]; readonly start: number }[], found: (index: number, state: Uint8Array) => void): void;
  /** Writes (inserts or replaces) many buckets of one (series, size). */
  putMany(seriesId: number, bucketMs: number, records: readonly BucketRecord[]): void;
  /** Deletes one bucket; returns how many were deleted (0 or 1). */
  delete(seriesId: number, bucketMs: number, keys: readonly string[], start: number): number;
  /** The buckets of a (series, size) with start in [from, to), packed, with the damaged ones listed. */
  readRange(seriesId: number, bucketMs: number, keyCount: number, from: number, to: number): StoredRange;
  /** Deletes a (series, size)'s buckets with start in [from, to) (retention too: from the beginning to the first kept start); returns how many. */
  deleteRange(seriesId: number, bucketMs: number, from: number, to: number): number;
  /** The newest bucket start of a (series, size), or null when it has none. */
  newestStart(seriesId: number, bucketMs: number): number | null;
}

/** The row log: every ingested row by (namespace, primary key), the truth buckets are a cache of. */
export interface RowStore {
  /** Logs a row: inserted, a duplicate (same content, nothing changes), or replaced (the previous version reported). */
  upsert(namespace: string, pk: string, ts: number, data: string): UpsertOutcome;
  /** Rows with `from <= ts < to`, oldest first (time, then primary key). */
  range(namespace: string, from: number, to: number): IterableIterator<LoggedRow>;
  /** How many rows `range` would yield. */
  count(namespace: string, from: number, to: number): number;
}

/**
 * A bucket record: the state of all of a series' aggregations at one size, for one group
 * key. Key values are non-empty strings ('' marks an unused key column).
 */
export interface BucketRecord {
  /** Group key values in the series' group-key order (1 to 4 of them). */
  readonly keys: readonly string[];
  readonly start: number;
  readonly rows: number;
  readonly state: Uint8Array;
}

/**
 * Stored buckets read at once, column by column: bucket i has key `keys[0][i]`,
 * `keys[1][i]`, ..., start `starts[i]`, `rows[i]` rows and state `bytes[offsets[i],
 * offsets[i + 1])` (read with PACKED_STATES: the checksums follow the states).
 */
export interface StoredRange {
  readonly count: number;
  readonly keys: readonly (readonly string[])[];
  readonly starts: readonly number[];
  readonly rows: readonly number[];
  readonly bytes: Uint8Array;
  readonly offsets: readonly number[];
  /** Buckets whose state fails its checksum: never equal to anything recomputed. */
  readonly damaged: ReadonlySet<number>;
}

/** A logged row: its key, event time (epoch ms) and canonical JSON content. */
export interface LoggedRow {
  readonly pk: string;
  readonly ts: number;
  readonly data: string;
}

export type UpsertOutcome =
  | { readonly kind: "inserted" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "replaced"; readonly previous: LoggedRow };
