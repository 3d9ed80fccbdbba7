import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAggError } from "../../../src/errors.js";
import { type AggSpec, type BucketState, compileLayout } from "../../../src/aggregate/index.js";
import { rng } from "./split-merge.js";

const LAYOUTS: AggSpec[][] = [
  [{ fn: "count" }],
  [{ fn: "sum" }, { fn: "count" }, { fn: "mean" }, { fn: "max" }],
  [{ fn: "min" }],
  [{ fn: "std" }, { fn: "variance" }, { fn: "min" }, { fn: "max" }],
  // Sketches and row lists take the decode-then-merge path.
  [{ fn: "approxCountDistinct" }, { fn: "approxPercentile", q: 0.5 }, { fn: "approxTopK", k: 3 }, { fn: "minByN", by: "ts", n: 2 }, { fn: "sum" }],
];

/** Values that stress each component: decimals, floats, huge and tiny magnitudes, nulls. */
function value(random: () => number): number | null {
  const r = random();
  if (r < 0.1) return null;
  if (r < 0.4) return Math.round(random() * 100_000) / 100;
  if (r < 0.6) return (random() - 0.5) * 2 ** Math.floor(random() * 2000 - 1000);
  if (r < 0.7) return 1e9 + random();
  return Math.floor(random() * 20) - 10;
}

/** Every aggregation of the layout, finished. */
function finishAll(specs: readonly AggSpec[], layout: ReturnType<typeof compileLayout>, s: BucketState): unknown[] {
  return [layout.rows(s), ...specs.map((spec) => layout.finish(s, spec))];
}

describe("StateLayout.mergeEncoded", () => {
  it("finishes exactly as merge(decode(bytes)) for every component, from a slice of a larger buffer", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: LAYOUTS.length - 1 }), (seed, which) => {
        const specs = LAYOUTS[which]!;
        const layout = compileLayout(specs);
        const random = rng(seed);
        const buckets = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, b) => {
          const s = layout.empty();
          const n = Math.floor(random() * 5); // empty buckets too
          for (let i = 0; i < n; i++) layout.add(s, value(random), { ts: b * 1000 + i });
          return layout.encode(s);
        });
        // Packed back to back, with junk around, as a query reads them.
        const packed = new Uint8Array(3 + buckets.reduce((n, b) => n + b.length, 0) + 2).fill(0xff);
        const offsets: number[] = [3];
        for (const b of buckets) {
          packed.set(b, offsets.at(-1)!);
          offsets.push(offsets.at(-1)! + b.length);
        }
        const viaDecode = layout.empty();
        const viaBytes = layout.empty();
        for (let b = buckets.length - 1; b >= 0; b--) {
          layout.merge(viaDecode, layout.decode(buckets[b]!));
          layout.mergeEncoded(viaBytes, packed, offsets[b]!, offsets[b + 1]!);
          expect(finishAll(specs, layout, viaBytes)).toEqual(finishAll(specs, layout, viaDecode));
        }
        expect(layout.encode(viaBytes)).toEqual(layout.encode(viaDecode));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses bytes that stop early, run on, or come from another layout", () => {
    const layout = compileLayout([{ fn: "sum" }, { fn: "max" }]);
    const s = layout.empty();
    layout.add(s, 12.5, {});
    layout.add(s, 3.25, {});
    const bytes = layout.encode(s);
    const longer = new Uint8Array([...bytes, 0]);
    const other = compileLayout([{ fn: "sum" }, { fn: "min" }, { fn: "max" }]);
    const code = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return isAggError(e) ? e.code : e;
      }
      return "no error";
    };
    expect(code(() => layout.mergeEncoded(layout.empty(), bytes, 0, bytes.length - 1))).toBe("store");
    expect(code(() => layout.mergeEncoded(layout.empty(), longer, 0, longer.length))).toBe("store");
    expect(code(() => other.mergeEncoded(other.empty(), bytes, 0, bytes.length))).toBe("store");
    expect(code(() => layout.mergeEncoded(layout.empty(), bytes, 0, bytes.length))).toBe("no error");
  });
});
