import type { BucketState, Row, Scalar, StateLayout } from "../../../src/aggregate/index.js";

/** A small seeded PRNG (mulberry32), so a fast-check seed reproduces the split. */
export function rng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Input {
  readonly value: Scalar;
  readonly row: Row;
}

/** All rows into one state, in order: what the split-and-merge result is compared with. */
export function foldAll(layout: StateLayout, inputs: readonly Input[]): BucketState {
  const s = layout.empty();
  for (const { value, row } of inputs) layout.add(s, value, row);
  return s;
}

/**
 * Shuffles the rows, deals them into 1-8 groups, folds each group into its own state,
 * then merges the states pairwise in random order; states pass through encode/decode
 * at random along the way (and the result at the end, half the time).
 */
export function splitAndMerge(layout: StateLayout, inputs: readonly Input[], seed: number): BucketState {
  const random = rng(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const maybeRoundTrip = (s: BucketState) => (random() < 0.5 ? layout.decode(layout.encode(s)) : s);

  const rows = inputs.slice();
  for (let i = rows.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [rows[i], rows[j]] = [rows[j] as Input, rows[i] as Input];
  }
  const states = Array.from({ length: 1 + pick(8) }, () => layout.empty());
  for (const { value, row } of rows) layout.add(states[pick(states.length)] as BucketState, value, row);

  let pool = states.map(maybeRoundTrip);
  while (pool.length > 1) {
    const i = pick(pool.length);
    let j = pick(pool.length - 1);
    if (j >= i) j++;
    layout.merge(pool[i] as BucketState, maybeRoundTrip(pool[j] as BucketState));
    pool = pool.filter((_, k) => k !== j);
  }
  return maybeRoundTrip(pool[0] as BucketState);
}

/** Rows that carry only the aggregated value. */
export function valuesOnly(values: readonly Scalar[]): Input[] {
  return values.map((value) => ({ value, row: { value } }));
}
