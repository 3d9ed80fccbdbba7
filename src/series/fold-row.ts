import type { BucketState, Row, StateLayout } from "../aggregate/types.js";
import type { BucketGrid } from "../time/bucket-grid.js";
import type { SeriesDef } from "./derive.js";
import { keyTextOf } from "./key-text.js";
import { aggregatedValue, matchesFilter } from "./row-match.js";

/**
 * How a row lands in a series' buckets, written once for ingest, backfill and the rebuild
 * of replaced rows: the series' filter keeps it and every group key is present (else it is
 * logged but in no bucket of the series), it lands in the bucket of its group key text
 * (landingKey) and of its event time at the size (bucketOf), and adds the series'
 * aggregated value there (foldRow).
 */

/** The row's group key text in the series, or null when the row lands in no bucket of it. */
export function landingKey(def: Pick<SeriesDef, "filter" | "groupKeys">, row: Row): string | null {
  if (!matchesFilter(def.filter, row)) return null;
  return keyTextOf(def.groupKeys, row);
}

/** The start of the bucket of the size (its grid: fixed, or a zone's calendar days) that holds event time `ts`. */
export function bucketOf(size: { readonly grid: BucketGrid }, ts: number): number {
  return size.grid.start(ts);
}

/** Adds the row to a bucket state of the series (its aggregated value, and the row for by-row aggregations). */
export function addRow(def: Pick<SeriesDef, "feature">, layout: StateLayout, state: BucketState, row: Row): void {
  layout.add(state, aggregatedValue(def, row), row);
}

/** Bucket states folded from rows, by bucket start and group key text. */
export type FoldedStates<B extends { readonly state: BucketState }> = Map<number, Map<string, B>>;

/**
 * Folds a row into `folded`: the bucket it lands in, made with `make` on first use. With
 * `accept`, only into buckets it accepts (a rebuild folds into the buckets it rebuilds
 * and no other). Returns false when the row lands in no bucket.
 */
export function foldRow<B extends { readonly state: BucketState }>(
  folded: FoldedStates<B>,
  def: Pick<SeriesDef, "filter" | "groupKeys" | "feature">,
  size: { readonly grid: BucketGrid; readonly layout: StateLayout },
  ts: number,
  row: Row,
  make: (keyText: string) => B,
  accept?: (start: number, keyText: string) => boolean,
): boolean {
  const keyText = landingKey(def, row);
  if (keyText === null) return false;
  const start = bucketOf(size, ts);
  if (accept !== undefined && !accept(start, keyText)) return false;
  let byKey = folded.get(start);
  if (byKey === undefined) folded.set(start, (byKey = new Map()));
  let bucket = byKey.get(keyText);
  if (bucket === undefined) byKey.set(keyText, (bucket = make(keyText)));
  addRow(def, size.layout, bucket.state, row);
  return true;
}
