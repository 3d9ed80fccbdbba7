import { BestN } from "./best-n.js";
import { DistinctSketch } from "./distinct-sketch.js";
import { ExactSum } from "./exact-sum.js";
import { Extremes } from "./extremes.js";
import { HeavyHitters } from "./heavy-hitters.js";
import { Moments } from "./moments.js";
import { QuantileSketch } from "./quantile-sketch.js";

const NONE: readonly BestN[] = Object.freeze([]);

/** Which components a layout keeps, and their sizes. */
export interface StatePlan {
  readonly sum: boolean;
  readonly min: boolean;
  readonly max: boolean;
  readonly moments: boolean;
  readonly distinct: boolean;
  readonly quantiles: boolean;
  /** Heavy-hitters capacity; 0 when no approxTopK is served. */
  readonly topKCapacity: number;
  readonly best: readonly { readonly by: string; readonly n: number; readonly direction: 1 | -1 }[];
}

/**
 * One bucket's state: the two counters every layout keeps, then one slot per component,
 * null when the layout does not need it (fixed fields keep `add` monomorphic and fast).
 */
export class AggState {
  /** Rows folded in, nulls included (what `count()` returns). */
  rows = 0;
  /** Numeric values folded in (nulls and non-numbers excluded): `mean`'s divisor. */
  n = 0;
  readonly sum: ExactSum | null;
  readonly extremes: Extremes | null;
  readonly moments: Moments | null;
  readonly distinct: DistinctSketch | null;
  readonly quantiles: QuantileSketch | null;
  readonly heavy: HeavyHitters | null;
  readonly best: readonly BestN[];

  constructor(plan: StatePlan) {
    this.sum = plan.sum ? new ExactSum() : null;
    this.extremes = plan.min || plan.max ? new Extremes(plan.min, plan.max) : null;
    this.moments = plan.moments ? new Moments() : null;
    this.distinct = plan.distinct ? new DistinctSketch() : null;
    this.quantiles = plan.quantiles ? new QuantileSketch() : null;
    this.heavy = plan.topKCapacity > 0 ? new HeavyHitters(plan.topKCapacity) : null;
    this.best = plan.best.length === 0 ? NONE : plan.best.map((b) => new BestN(b.by, b.n, b.direction));
  }
}
