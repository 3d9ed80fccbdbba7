/**
 * A hand-built project model and store for the query core's unit tests: the model is
 * written out (no feature files, no loader), the store is filled through the store
 * classes the way ingest and backfill fill it.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AggSpec, BucketState } from "../../../src/aggregate/types.js";
import type { FilterNode } from "../../../src/dsl/filter.js";
import type { NamespaceModel, Project, ScalarModel, WindowedFeature } from "../../../src/project/model.js";
import { compileSeries } from "../../../src/series/compiled-series.js";
import { deriveSeries } from "../../../src/series/derive.js";
import { aggregatedValue, groupKeyOf, matchesFilter } from "../../../src/series/row-match.js";
import { BucketTable } from "../../../src/store/sqlite/bucket-table.js";
import { openDatabase, type Db } from "../../../src/store/sqlite/open-store.js";
import { RowLog } from "../../../src/store/sqlite/row-log.js";
import { advanceMaxEventTime, recordLayout, registerSeries } from "../../../src/store/series-registry.js";
import { advanceMaterializedThrough as setMaterializedThrough } from "../../../src/store/unfolded-rows.js";
import { bucketStart } from "../../../src/time/buckets.js";
import { seededTxns, type Txn } from "../../helpers/events.js";

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const T0 = Date.UTC(2024, 2, 1);

function scalar(name: string, kind: ScalarModel["kind"], extra: Partial<ScalarModel> = {}): ScalarModel {
  return { name, kind, primary: false, references: null, featureTime: false, optional: false, epochUnit: null, site: null, ...extra };
}

const TRANSACTION: NamespaceModel = {
  name: "transaction",
  site: null,
  scalars: [
    scalar("id", "string", { primary: true }),
    scalar("user_id", "string", { references: "user.id" }),
    scalar("merchant_id", "string", { references: "merchant.id" }),
    scalar("amount", "float"),
    scalar("category", "string", { optional: true }),
    scalar("ts", "datetime", { featureTime: true }),
  ],
  primaryKey: "id",
  featureTime: "ts",
};
const entity = (name: string): NamespaceModel => ({ name, site: null, scalars: [scalar("id", "string", { primary: true })], primaryKey: "id", featureTime: null });

export interface FeatureOptions {
  namespace?: "user" | "merchant";
  agg?: AggSpec;
  feature?: string | null;
  /** Bucket size for every window; `"window"`: one bucket as long as each window; null: not materialized. */
  bucket?: number | "window" | null;
  anchor?: number;
  bufferMs?: number | null;
  filter?: FilterNode | null;
  groupBy?: string[];
  default?: unknown;
}

export function feature(name: string, windows: number[], o: FeatureOptions = {}): WindowedFeature {
  const namespace = o.namespace ?? "user";
  const bucket = o.bucket === undefined ? HOUR : o.bucket;
  return {
    namespace,
    name,
    fqn: `${namespace}.${name}`,
    kind: o.groupBy ? "groupByWindowed" : "windowed",
    windows,
    agg: o.agg ?? { fn: "sum" },
    source: "transaction",
    feature: o.feature === undefined ? "amount" : o.feature,
    filter: o.filter ?? null,
    joinKey: namespace === "user" ? "user_id" : "merchant_id",
    groupBy: o.groupBy ?? [],
    materialization:
      bucket === null
        ? null
        : { bucketFor: new Map(windows.map((w) => [w, bucket === "window" ? w : bucket])), anchor: o.anchor ?? 0, calendar: null, backfillSchedule: null, continuousBufferMs: o.bufferMs ?? null, retentionMs: null },
    hasDefault: o.default !== undefined,
    default: o.default,
    site: null,
  };
}

export function project(windowed: WindowedFeature[]): Project {
  const namespaces = new Map([TRANSACTION, entity("user"), entity("merchant")].map((n) => [n.name, n]));
  return { root: "/nowhere", namespaces, windowed, streams: new Map(), offlineSources: new Map() };
}

export type { Txn } from "../../helpers/events.js";

/** Seeded events (seededTxns) from T0, ids `t${seed}-0`, `t${seed}-1`, ... */
export function events(count: number, spanMs: number, seed = 3, start = T0): Txn[] {
  return seededTxns(count, start, spanMs, seed, { id: (i) => `t${seed}-${i}`, categories: ["food", "travel", null] });
}

/**
 * A store holding every event in the row log, and in the buckets those that `inBuckets`
 * keeps (all by default; `ts < M` to play a backfill through M with no live stream).
 */
export function buildStore(p: Project, txns: readonly Txn[], inBuckets: (t: Txn) => boolean = () => true, options: { materialized?: boolean } = {}): Db {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "agg-query-")), "store.db"));
  const defs = deriveSeries(p);
  const compiled = compileSeries(defs, registerSeries(db, defs, T0));
  const log = new RowLog(db);
  const table = new BucketTable(db);
  db.transaction(() => {
    for (const t of txns) log.upsert("transaction", t.id, t.ts, JSON.stringify(t));
    for (const series of compiled) {
      for (const size of series.sizes) {
        const states = new Map<string, { keys: string[]; start: number; state: BucketState }>();
        for (const t of txns) {
          const keys = groupKeyOf(series.def, t);
          if (!inBuckets(t) || keys === null || !matchesFilter(series.def.filter, t)) continue;
          const start = bucketStart(t.ts, size.bucketMs, series.def.anchor);
          const k = `${keys.join("\u0000")}@${start}`;
          let entry = states.get(k);
          if (entry === undefined) states.set(k, (entry = { keys, start, state: size.layout.empty() }));
          size.layout.add(entry.state, aggregatedValue(series.def, t), t);
        }
        for (const e of states.values()) table.put(series.id, size.bucketMs, e.keys, e.start, size.layout.rows(e.state), size.layout.encode(e.state));
        recordLayout(db, series.id, size.bucketMs, size.signature);
      }
      // As ingest leaves it: the clock at the newest folded event, materialized through it.
      const folded = txns.filter(inBuckets).map((t) => t.ts);
      if (folded.length > 0 && options.materialized !== false) {
        const newest = folded.reduce((a, b) => Math.max(a, b));
        advanceMaxEventTime(db, series.id, newest);
        setMaterializedThrough(db, series.id, newest + 1);
      }
    }
  })();
  return db;
}

export function materializedThrough(db: Db, p: Project, through: number): void {
  const defs = deriveSeries(p);
  for (const record of registerSeries(db, defs, T0).values()) setMaterializedThrough(db, record.id, through);
}
