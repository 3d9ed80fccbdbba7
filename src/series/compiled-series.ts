import { compileLayout } from "../aggregate/index.js";
import type { StateLayout } from "../aggregate/types.js";
import type { SeriesRecord } from "../store/series-registry.js";
import type { DeclaredSize } from "../store/size-state.js";
import { gridOf, type BucketGrid } from "../time/bucket-grid.js";
import type { SeriesDef } from "./derive.js";
import { layoutSignature } from "./layout-signature.js";

/** A series ready to run: its store id and one compiled state layout per bucket size. */
export interface CompiledSeries {
  readonly id: number;
  readonly def: SeriesDef;
  readonly sizes: readonly CompiledSize[];
}

export interface CompiledSize {
  readonly bucketMs: number;
  readonly retentionMs: number;
  readonly layout: StateLayout;
  /** What the buckets hold; recorded in the store when they are written. */
  readonly signature: string;
  /** Where the buckets of this size start and end (fixed, or a zone's calendar). */
  readonly grid: BucketGrid;
}

/** Pairs each definition with its registered id; definitions the store does not know are skipped. */
export function compileSeries(defs: readonly SeriesDef[], records: ReadonlyMap<string, SeriesRecord>): CompiledSeries[] {
  const out: CompiledSeries[] = [];
  for (const def of defs) {
    const record = records.get(def.identity);
    if (record === undefined) continue;
    out.push({
      id: record.id,
      def,
      sizes: def.sizes.map((size) => ({ bucketMs: size.bucketMs, retentionMs: size.retentionMs, layout: compileLayout(size.specs), signature: layoutSignature(def, size), grid: gridOf(def, size.bucketMs) })),
    });
  }
  return out;
}

/**
 * Stale buckets (SPEC 3): those ending at or before `T - retention - bucket`, with T the
 * latest event time the series has seen. Returns that cutoff.
 */
export function retentionCutoff(maxEventTime: number, size: Pick<CompiledSize, "bucketMs" | "retentionMs">): number {
  return maxEventTime - size.retentionMs - size.bucketMs;
}

/** Every size of `compiled` as the store's size records describe it (see claimSizes). */
export function declaredSizes(compiled: readonly CompiledSeries[]): DeclaredSize[] {
  return compiled.flatMap((s) =>
    s.sizes.map((size) => ({ seriesId: s.id, namespace: s.def.namespace, anchor: s.def.anchor, calendar: s.def.calendar, bucketMs: size.bucketMs, retentionMs: size.retentionMs, signature: size.signature })),
  );
}
