export type { AggFn, AggSpec, BucketState, Row, Scalar, StateLayout } from "./types.js";
export { compileLayout } from "./layout.js";
export { aggLabel, isNumericAgg } from "./agg-label.js";
