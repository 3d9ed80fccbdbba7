import type { Row } from "../aggregate/types.js";
import type { BucketTable } from "../store/sqlite/bucket-table.js";
import { keysOfText } from "../series/key-text.js";
import type { SeriesSlot } from "./series-slot.js";

/**
 * Reads the stored state of the buckets a batch slice saw first (those the cache could not
 * rule out), then folds the rows held back for them, in input order: a bucket's state is
 * then the store's plus every row of the slice, whichever came first.
 */
export function loadStoredStates(buckets: BucketTable, s: SeriesSlot): void {
  for (const slot of s.active) {
    if (slot.toLoad.length === 0) continue;
    const { layout, bucketMs } = slot.size;
    // A bucket to recompute is rebuilt from the row log at flush: its stored state is not needed.
    const list = slot.toLoad.filter((b) => !b.recompute);
    slot.toLoad = [];
    const keyCount = s.target.series.def.groupKeys.length;
    const probes = list.map((b) => ({ keys: keysOfText(b.keyText, keyCount), start: b.start }));
    buckets.getMany(s.target.series.id, bucketMs, probes, (i, bytes) => {
      const bucket = list[i]!;
      bucket.state = layout.decode(bytes);
      bucket.stored = true;
    });
    for (const bucket of list) {
      const pending = bucket.pending ?? [];
      bucket.loaded = true;
      bucket.pending = null;
      const state = (bucket.state ??= layout.empty());
      for (let i = 0; i < pending.length; i += 2) layout.add(state, pending[i] as Row[string], pending[i + 1] as Row);
    }
  }
}
