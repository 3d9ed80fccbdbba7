import { createRequire } from "node:module";
import type { DDSketch } from "@datadog/sketches-js";
import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";

/** DDSketch's guarantee: every quantile within 1% of the true value, relatively. */
export const RELATIVE_ACCURACY = 0.01;

type Store = DDSketch["store"];

// Loaded on the first sketch, not with this module: importing the library costs about
// 10 ms of every `agg query` start-up, and most queries never build a percentile.
let DDSketchClass: typeof DDSketch | undefined;

function newSketch(): DDSketch {
  DDSketchClass ??= (createRequire(import.meta.url)("@datadog/sketches-js") as typeof import("@datadog/sketches-js")).DDSketch;
  return new DDSketchClass({ relativeAccuracy: RELATIVE_ACCURACY });
}

/**
 * approxPercentile: a DDSketch (`@datadog/sketches-js`), one per layout whatever the
 * number of quantiles asked. Counts are integers, so merges commute exactly and a
 * quantile does not depend on the order rows arrived in.
 *
 * We use the library for the mapping, the stores and the quantile walk, but merge and
 * serialise ourselves: its `merge` (2.1.1) drops the negative store and mis-sizes a range
 * ending at key 0, and its protobuf encoding writes every bin of the dense range.
 */
export class QuantileSketch {
  sketch = newSketch();

  add(x: number): void {
    // A non-finite value has no bin (ingest rejects them; skip rather than corrupt the store).
    if (Number.isFinite(x)) this.sketch.accept(x);
  }

  merge(other: QuantileSketch): void {
    const a = this.sketch;
    const b = other.sketch;
    if (b.count === 0) return;
    const zeros = b.zeroCount;
    const count = b.count;
    addStore(a.store, b.store);
    addStore(a.negativeStore, b.negativeStore);
    a.zeroCount += zeros;
    a.count += count;
    a.min = Math.min(a.min, b.min);
    a.max = Math.max(a.max, b.max);
  }

  /** The value at quantile q in [0, 1]; null when empty. */
  quantile(q: number): number | null {
    return this.sketch.count === 0 ? null : this.sketch.getValueAtQuantile(q);
  }

  /** Zero count, then each store's non-empty bins as (key gap, count) pairs. */
  write(w: ByteWriter): void {
    w.varint(this.sketch.zeroCount);
    writeStore(w, this.sketch.store);
    writeStore(w, this.sketch.negativeStore);
  }

  /** Fills this (fresh) sketch. */
  read(r: ByteReader): void {
    const s = this.sketch;
    s.zeroCount = r.varint();
    readStore(r, s.store);
    readStore(r, s.negativeStore);
    s.count = s.zeroCount + s.store.count + s.negativeStore.count;
  }
}

/** Adds `from`'s bins to `into` through the public `add`, ends first so it grows at most twice. */
function addStore(into: Store, from: Store): void {
  if (from.count === 0) return;
  const { bins, offset, minKey, maxKey } = from;
  const at = (key: number) => bins[key - offset] as number;
  into.add(minKey, at(minKey));
  if (maxKey !== minKey) into.add(maxKey, at(maxKey));
  for (let key = minKey + 1; key < maxKey; key++) {
    const c = at(key);
    if (c > 0) into.add(key, c);
  }
}

function writeStore(w: ByteWriter, store: Store): void {
  if (store.count === 0) {
    w.varint(0);
    return;
  }
  const { bins, offset, minKey, maxKey } = store;
  let used = 0;
  for (let key = minKey; key <= maxKey; key++) if ((bins[key - offset] as number) > 0) used++;
  w.varint(used);
  w.sint(minKey);
  let last = minKey - 1;
  for (let key = minKey; key <= maxKey; key++) {
    const c = bins[key - offset] as number;
    if (c === 0) continue;
    if (key !== minKey) w.varint(key - last - 1);
    w.varint(c);
    last = key;
  }
}

function readStore(r: ByteReader, store: Store): void {
  const used = r.varint();
  if (used === 0) return;
  const keys = new Array<number>(used);
  const counts = new Array<number>(used);
  let key = r.sint();
  for (let i = 0; i < used; i++) {
    if (i > 0) key += r.varint() + 1;
    keys[i] = key;
    counts[i] = r.varint();
  }
  // Ends first, as in addStore.
  store.add(keys[0] as number, counts[0] as number);
  if (used > 1) store.add(keys[used - 1] as number, counts[used - 1] as number);
  for (let i = 1; i < used - 1; i++) store.add(keys[i] as number, counts[i] as number);
}
