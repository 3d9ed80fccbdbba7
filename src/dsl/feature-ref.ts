import type { AggFn } from "../aggregate/types.js";
import { FEATURE_REF } from "./brand.js";
import { and, type Condition, type CompareOp, type FilterNode, type Literal } from "./filter.js";

/** The node an aggregation expression compiles to. Series derivation reads only this. */
export interface AggNode {
  readonly kind: "agg";
  readonly fn: AggFn;
  /** The aggregated feature's FQN, or `namespace.*` for a bare row count. */
  readonly feature: string;
  readonly filter: FilterNode | null;
  readonly q?: number;
  readonly k?: number;
  readonly n?: number;
  /** minByN / maxByN: the FQN to order by. */
  readonly by?: string;
}

/** An aggregation over a feature; `Out` is the value a window of it yields. */
export interface AggExpr<Out> {
  readonly node: AggNode;
  readonly "~out"?: Out;
}

/** Comparison operand: a value of the feature's own type. */
type Operand<T> = T extends Date ? string | number | Date : T;

/**
 * A typed reference to a scalar feature, e.g. `Transaction.amount: FeatureRef<number>`.
 * Numeric aggregations only accept numeric refs: `Transaction.category.sum()` does not compile.
 */
export interface FeatureRef<T, O extends boolean = boolean> {
  readonly [FEATURE_REF]: true;
  /** The fully qualified name, `transaction.amount`. */
  readonly fqn: string;
  readonly "~type"?: T;
  readonly "~optional"?: O;

  /** Keeps only rows that match. @example `Transaction.amount.where(Transaction.category.eq("food")).sum()` */
  where(condition: Condition): FeatureRef<T, O>;

  eq(value: Operand<T> | null): Condition;
  ne(value: Operand<T> | null): Condition;
  gt(value: Operand<T>): Condition;
  gte(value: Operand<T>): Condition;
  lt(value: Operand<T>): Condition;
  lte(value: Operand<T>): Condition;
  in(values: readonly Operand<T>[]): Condition;

  /** Sum of non-null values; 0 on no rows. */
  sum(this: FeatureRef<number, O>): AggExpr<number>;
  /** Rows in the window (after filters, nulls included); 0 on no rows. */
  count(): AggExpr<number>;
  /** Mean of non-null values; null on no rows. */
  mean(this: FeatureRef<number, O>): AggExpr<number | null>;
  /** Smallest value; null on no rows. */
  min(this: FeatureRef<number, O>): AggExpr<number | null>;
  /** Largest value; null on no rows. */
  max(this: FeatureRef<number, O>): AggExpr<number | null>;
  /** Sample standard deviation (n-1); null when fewer than 2 values. */
  std(this: FeatureRef<number, O>): AggExpr<number | null>;
  /** Sample variance (n-1); null when fewer than 2 values. */
  variance(this: FeatureRef<number, O>): AggExpr<number | null>;
  /** Approximate number of distinct values (within 2%); 0 on no rows. */
  approxCountDistinct(): AggExpr<number>;
  /** Approximate quantile q in [0, 1] (within 1% relative error). @example `Transaction.amount.approxPercentile(0.95)` */
  approxPercentile(this: FeatureRef<number, O>, q: number): AggExpr<number | null>;
  /** The k most frequent values, most frequent first. */
  approxTopK(k: number): AggExpr<T[] | null>;
  /** The values of the n rows with the smallest `by`. @example `Transaction.amount.minByN(Transaction.ts, 3)` */
  minByN(by: FeatureRef<unknown>, n: number): AggExpr<T[] | null>;
  /** The values of the n rows with the largest `by`. @example `Transaction.amount.maxByN(Transaction.ts, 3)` */
  maxByN(by: FeatureRef<unknown>, n: number): AggExpr<T[] | null>;
}

function literal(value: unknown): Literal {
  return value instanceof Date ? value.getTime() : (value as Literal);
}

/** Builds the reference; `filter` accumulates `.where(...)` calls. */
export function featureRef<T, O extends boolean>(fqn: string, filter: FilterNode | null = null): FeatureRef<T, O> {
  const cmp = (op: CompareOp) => (value: unknown): Condition =>
    Object.freeze({ node: Object.freeze({ kind: "cmp" as const, op, feature: fqn, value: literal(value) }) });
  const agg = (fn: AggFn, params: Partial<Pick<AggNode, "q" | "k" | "n" | "by">> = {}) =>
    Object.freeze({ node: Object.freeze({ kind: "agg" as const, fn, feature: fqn, filter, ...params }) });
  const ref = {
    [FEATURE_REF]: true as const,
    fqn,
    where: (condition: Condition) =>
      featureRef<T, O>(fqn, filter === null ? condition.node : and({ node: filter }, condition).node),
    eq: cmp("eq"),
    ne: cmp("ne"),
    gt: cmp("gt"),
    gte: cmp("gte"),
    lt: cmp("lt"),
    lte: cmp("lte"),
    in: (values: readonly unknown[]): Condition =>
      Object.freeze({ node: Object.freeze({ kind: "in" as const, feature: fqn, values: Object.freeze(values.map(literal)) }) }),
    sum: () => agg("sum"),
    count: () => agg("count"),
    mean: () => agg("mean"),
    min: () => agg("min"),
    max: () => agg("max"),
    std: () => agg("std"),
    variance: () => agg("variance"),
    approxCountDistinct: () => agg("approxCountDistinct"),
    approxPercentile: (q: number) => agg("approxPercentile", { q }),
    approxTopK: (k: number) => agg("approxTopK", { k }),
    minByN: (by: FeatureRef<unknown>, n: number) => agg("minByN", { by: by.fqn, n }),
    maxByN: (by: FeatureRef<unknown>, n: number) => agg("maxByN", { by: by.fqn, n }),
  };
  return Object.freeze(ref) as unknown as FeatureRef<T, O>;
}
