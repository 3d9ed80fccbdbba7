import { AggError } from "../errors.js";
import { aggLabel } from "./agg-label.js";
import type { StatePlan } from "./agg-state.js";
import { heavyHittersCapacity } from "./heavy-hitters.js";
import type { AggSpec } from "./types.js";

const isPositiveInt = (v: number | undefined): v is number =>
  v !== undefined && Number.isSafeInteger(v) && v > 0;

/**
 * Which components serve these specs: `mean` and `sum` share one exact sum, `std` and
 * `variance` one set of moments, every `approxPercentile` one sketch, every `approxTopK`
 * one summary sized for the largest k, and each (minByN | maxByN, by) one list sized for
 * the largest n. Throws on a spec whose parameters are missing or out of range.
 */
export function planState(specs: readonly AggSpec[]): StatePlan {
  let sum = false;
  let min = false;
  let max = false;
  let moments = false;
  let distinct = false;
  let quantiles = false;
  let topK = 0;
  const best = new Map<string, { by: string; n: number; direction: 1 | -1 }>();

  for (const spec of specs) {
    switch (spec.fn) {
      case "count":
        break;
      case "sum":
      case "mean":
        sum = true;
        break;
      case "min":
        min = true;
        break;
      case "max":
        max = true;
        break;
      case "std":
      case "variance":
        moments = true;
        break;
      case "approxCountDistinct":
        distinct = true;
        break;
      case "approxPercentile":
        checkQuantile(spec);
        quantiles = true;
        break;
      case "approxTopK":
        if (!isPositiveInt(spec.k)) throw invalid(spec, "k must be a positive integer");
        topK = Math.max(topK, spec.k);
        break;
      case "minByN":
      case "maxByN": {
        if (!isPositiveInt(spec.n)) throw invalid(spec, "n must be a positive integer");
        if (spec.by === undefined || spec.by === "") throw invalid(spec, "`by` must name a feature");
        const key = `${spec.fn}:${spec.by}`;
        const n = Math.max(spec.n, best.get(key)?.n ?? 0);
        best.set(key, { by: spec.by, n, direction: spec.fn === "minByN" ? 1 : -1 });
        break;
      }
      default:
        throw invalid(spec, `unknown aggregation "${String((spec as AggSpec).fn)}"`);
    }
  }
  return {
    sum,
    min,
    max,
    moments,
    distinct,
    quantiles,
    topKCapacity: topK === 0 ? 0 : heavyHittersCapacity(topK),
    best: [...best.values()],
  };
}

export function checkQuantile(spec: AggSpec): number {
  const q = spec.q;
  if (q === undefined || !(q >= 0 && q <= 1)) throw invalid(spec, "q must be a number from 0 to 1");
  return q;
}

export function invalid(spec: AggSpec, why: string): AggError {
  return new AggError("project", `invalid aggregation ${aggLabel(spec)}: ${why}`, {
    hint: "write for example approxPercentile(0.95), approxTopK(5) or minByN(Transaction.ts, 3)",
    meta: { spec },
  });
}
