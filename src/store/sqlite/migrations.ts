/**
 * The store's schema, as numbered migrations. A store records the version it is at;
 * a store from a newer agg is refused rather than guessed at.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  -- AUTOINCREMENT: the id of a removed series is never handed to another one.
  CREATE TABLE series (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    identity TEXT NOT NULL UNIQUE,
    namespace TEXT NOT NULL,
    group_keys TEXT NOT NULL,
    feature TEXT,
    filter TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- the latest event time the series has seen: the clock of retention
    max_event_time INTEGER,
    -- the end of the range backfill has filled: the continuous buffer starts there
    materialized_through INTEGER
  );

  -- What the buckets of each (series, bucket size) hold: the layout they were filled with.
  CREATE TABLE series_sizes (
    series_id INTEGER NOT NULL REFERENCES series (id),
    bucket_ms INTEGER NOT NULL,
    layout TEXT NOT NULL,
    PRIMARY KEY (series_id, bucket_ms)
  ) WITHOUT ROWID;

  -- The row log: every ingested row, keyed by primary key.
  CREATE TABLE rows (
    namespace TEXT NOT NULL,
    pk TEXT NOT NULL,
    ts INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (namespace, pk)
  ) WITHOUT ROWID;
  CREATE INDEX rows_by_time ON rows (namespace, ts);

  -- One record per (series, bucket size, group key, bucket start) with the state of all
  -- the series' aggregations at that size. Unused key columns hold ''.
  CREATE TABLE buckets (
    series_id INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    k0 TEXT NOT NULL,
    k1 TEXT NOT NULL DEFAULT '',
    k2 TEXT NOT NULL DEFAULT '',
    k3 TEXT NOT NULL DEFAULT '',
    start INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (series_id, bucket_ms, k0, k1, k2, k3, start)
  ) WITHOUT ROWID;
  -- Reads from the other side of a multi-key group (merchant side of user x merchant).
  CREATE INDEX buckets_by_k1 ON buckets (series_id, bucket_ms, k1, start) WHERE k1 <> '';
  CREATE INDEX buckets_by_k2 ON buckets (series_id, bucket_ms, k2, start) WHERE k2 <> '';
  CREATE INDEX buckets_by_k3 ON buckets (series_id, bucket_ms, k3, start) WHERE k3 <> '';

  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    features TEXT NOT NULL,
    series TEXT NOT NULL,
    lower_bound INTEGER,
    upper_bound INTEGER,
    source TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'working', 'completed', 'failed')),
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    rows INTEGER NOT NULL DEFAULT 0,
    buckets INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    pid INTEGER
  );

  -- When each feature's backfillSchedule last ran.
  CREATE TABLE schedule_runs (
    feature TEXT PRIMARY KEY,
    last_run INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  /* 2 */ `
  -- Buckets by time within a (series, size): retention and backfill delete a time range,
  -- and ingest asks for the newest start, without scanning every key of the size. On
  -- "start + 0", so only statements written with that expression use it: reads of one
  -- key over a time range keep the primary key (SQLite would otherwise pick this index
  -- and scan every key of the range).
  CREATE INDEX buckets_by_start ON buckets (series_id, bucket_ms, (start + 0));
  `,
  /* 3 */ `
  -- The bucket start from which a (series, size)'s buckets hold every logged row; NULL:
  -- from the beginning. A size that appears (or changes shape) after rows were logged
  -- starts above the newest of them; backfill lowers it (see store/size-state.ts).
  ALTER TABLE series_sizes ADD COLUMN filled_from INTEGER;
  -- Why filled_from was set: 'new' (the size appeared after rows were logged), 'changed'
  -- (its feature was edited), 'retention' (its retention grew).
  ALTER TABLE series_sizes ADD COLUMN filled_reason TEXT;
  -- The span of rows an offline-source backfill folded into a size's buckets. Offline rows
  -- are not in the row log, so where retention has since dropped those buckets, a query that
  -- computes the window from the row log misses them and says so (partial).
  ALTER TABLE series_sizes ADD COLUMN offline_from INTEGER;
  ALTER TABLE series_sizes ADD COLUMN offline_to INTEGER;
  -- Rows logged at or after the materialized-through time M without being folded into the
  -- buckets (a resolver with updatesMaterializedAggregations: false): the earliest and
  -- latest of their event times. M never moves past unfolded_from, so the continuous
  -- buffer reads those rows from the row log; a backfill over them clears it (see
  -- store/unfolded-rows.ts).
  ALTER TABLE series ADD COLUMN unfolded_from INTEGER;
  ALTER TABLE series ADD COLUMN unfolded_to INTEGER;
  -- A backfill refolding the series from the row log: its owner (pid@start), its range
  -- [refold_lower, refold_to) and how far down it got (refold_from); unfolded rows logged
  -- meanwhile that it will not fold (next_from / next_to). See store/unfolded-rows.ts.
  ALTER TABLE series ADD COLUMN refold_owner TEXT;
  ALTER TABLE series ADD COLUMN refold_lower INTEGER;
  ALTER TABLE series ADD COLUMN refold_from INTEGER;
  ALTER TABLE series ADD COLUMN refold_to INTEGER;
  ALTER TABLE series ADD COLUMN next_from INTEGER;
  ALTER TABLE series ADD COLUMN next_to INTEGER;
  -- Sizes the earlier schema marked "unfilled" held no buckets and start at the newest row.
  -- Ingest kept every other size current through the series' latest event: materialized
  -- through it (ingest now moves that time forward itself).
  UPDATE series SET materialized_through = max(coalesce(materialized_through, max_event_time + 1), max_event_time + 1)
    WHERE max_event_time IS NOT NULL AND EXISTS (SELECT 1 FROM series_sizes WHERE series_id = series.id AND layout NOT LIKE 'unfilled%');
  `,
  /* 4 */ `
  -- A checksum per bucket state (store/bucket-checksum.ts: CRC-32 of the state mixed with
  -- its start, 4 bytes big-endian), verified by every read, so a flipped byte is refused
  -- instead of served. agg_bucket_checksum is registered by open-store.ts while it migrates.
  ALTER TABLE buckets ADD COLUMN crc BLOB NOT NULL DEFAULT x'00000000';
  UPDATE buckets SET crc = agg_bucket_checksum(start, state);
  `,
  /* 5 */ `
  -- When the job's process started (backfill/process-alive.ts): a PID alone can be reused
  -- by another process, so a job is stale when the process with its PID started at
  -- another time. NULL where it could not be read (only the PID is checked then).
  ALTER TABLE jobs ADD COLUMN pid_start TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
