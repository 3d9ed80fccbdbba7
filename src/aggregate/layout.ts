import { AggError } from "../errors.js";
import { aggLabel } from "./agg-label.js";
import { AggState, type StatePlan } from "./agg-state.js";
import type { BestN } from "./best-n.js";
import { checkQuantile, invalid, planState } from "./plan-state.js";
import { decodeState, encodeState, mergeEncodedState } from "./state-codec.js";
import type { AggSpec, BucketState, Row, Scalar, StateLayout } from "./types.js";

/**
 * The state layout for a list of aggregations: one state per bucket serves them all.
 *
 * @example
 * const layout = compileLayout([{ fn: "sum" }, { fn: "approxPercentile", q: 0.95 }]);
 * const s = layout.empty();
 * layout.add(s, 12.5, row);
 * layout.finish(s, { fn: "sum" }); // 12.5
 */
export function compileLayout(specs: readonly AggSpec[]): StateLayout {
  const plan = planState(specs);
  const frozen = Object.freeze(specs.map((s) => Object.freeze({ ...s })));
  return {
    specs: frozen,
    empty: () => new AggState(plan),
    add,
    merge(into, other) {
      // Merging a state into itself must double it, so read from a copy.
      const from = into === other ? decodeState(plan, encodeState(other as AggState)) : other;
      mergeStates(into as AggState, from as AggState);
    },
    mergeEncoded(into, bytes, from, to) {
      if (!mergeEncodedState(plan, into as AggState, bytes, from, to)) mergeStates(into as AggState, decodeState(plan, bytes.subarray(from, to)));
    },
    rows: (state) => (state as AggState).rows,
    finish: (state, spec) => finish(plan, state as AggState, spec),
    encode: (state) => encodeState(state as AggState),
    decode: (bytes) => decodeState(plan, bytes),
  };
}

function add(state: BucketState, value: Scalar, row: Row): void {
  const s = state as AggState;
  s.rows++;
  if (value === null) return;
  if (typeof value === "number") {
    if (value !== value) return; // NaN counts as missing
    value += 0; // -0 becomes 0, so min/max/top-k cannot depend on arrival order
    s.n++;
    s.sum?.add(value);
    s.extremes?.add(value);
    s.moments?.add(value);
    s.quantiles?.add(value);
  }
  s.distinct?.add(value);
  s.heavy?.add(value);
  for (const b of s.best) b.add(row, value);
}

function mergeStates(into: AggState, other: AggState): void {
  if (other.rows === 0) return;
  into.rows += other.rows;
  into.n += other.n;
  if (into.sum && other.sum) into.sum.merge(other.sum);
  if (into.extremes && other.extremes) into.extremes.merge(other.extremes);
  if (into.moments && other.moments) into.moments.merge(other.moments);
  if (into.distinct && other.distinct) into.distinct.merge(other.distinct);
  if (into.quantiles && other.quantiles) into.quantiles.merge(other.quantiles);
  if (into.heavy && other.heavy) into.heavy.merge(other.heavy);
  into.best.forEach((b, i) => b.merge(other.best[i] as BestN));
}

function finish(plan: StatePlan, s: AggState, spec: AggSpec): unknown {
  switch (spec.fn) {
    case "count":
      return s.rows;
    case "sum":
      return need(s.sum, spec).value();
    case "mean":
      return s.n === 0 ? null : need(s.sum, spec).value() / s.n;
    case "min":
      return orNull(need(plan.min ? s.extremes : null, spec).min);
    case "max":
      return orNull(need(plan.max ? s.extremes : null, spec).max);
    case "variance":
      return need(s.moments, spec).variance();
    case "std": {
      const v = need(s.moments, spec).variance();
      return v === null ? null : Math.sqrt(v);
    }
    case "approxCountDistinct":
      return need(s.distinct, spec).estimate();
    case "approxPercentile":
      return need(s.quantiles, spec).quantile(checkQuantile(spec));
    case "approxTopK": {
      const k = spec.k ?? 0;
      if (!(k > 0)) throw invalid(spec, "k must be a positive integer");
      return need(s.heavy, spec).top(k);
    }
    case "minByN":
    case "maxByN": {
      const direction = spec.fn === "minByN" ? 1 : -1;
      const best = s.best.find((b) => b.by === spec.by && b.direction === direction);
      return need(best ?? null, spec).top(spec.n ?? best?.n ?? 0);
    }
  }
}

function orNull(x: number): number | null {
  return x === x ? x : null;
}

/** A component the layout does not keep: the caller asked for an aggregation it did not compile. */
function need<T>(component: T | null, spec: AggSpec): T {
  if (component === null) {
    throw new AggError("runtime", `this bucket layout does not serve ${aggLabel(spec)}`, {
      hint: "compile the layout with every aggregation that will be finished from it",
      meta: { spec },
    });
  }
  return component;
}
