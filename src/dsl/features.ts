import { NAMESPACE, SCALAR, WINDOWED } from "./brand.js";
import { featureRef, type AggExpr, type FeatureRef } from "./feature-ref.js";
import type { Condition, FilterNode } from "./filter.js";
import { and } from "./filter.js";
import type { KindValue, Scalar, ScalarKind, ScalarSpec } from "./scalar.js";
import { closestName } from "../closest-name.js";
import { callSite, type Site } from "./site.js";
import type { Windowed, WindowedSpec } from "./windowed.js";

type Column = Scalar<ScalarKind, boolean> | Windowed<unknown>;
export type Columns = Record<string, Column>;

/** The plain data behind a namespace. */
export interface NamespaceSpec {
  readonly name: string;
  /** In declaration order: that order decides the order of group keys. */
  readonly columns: readonly NamespaceColumn[];
  readonly site: Site | null;
}

export type NamespaceColumn =
  | { readonly name: string; readonly kind: "scalar"; readonly scalar: ScalarSpec }
  | { readonly name: string; readonly kind: "windowed"; readonly windowed: WindowedSpec };

/** The reference type of one column. */
type RefOf<C> =
  C extends Scalar<infer K, infer O> ? FeatureRef<KindValue[K], O> : C extends Windowed<infer Out> ? WindowedRef<Out> : never;

/** A reference to a windowed feature (for naming it; it cannot be aggregated again). */
export interface WindowedRef<Out> {
  readonly fqn: string;
  readonly "~out"?: Out;
}

/** What every namespace has, whatever its columns. */
export interface AnyNamespace {
  readonly [NAMESPACE]: NamespaceSpec;
}

/** A declared namespace: each feature is a typed reference, `Transaction.amount`. */
export type Namespace<N extends string = string, C extends Columns = Columns> = {
  readonly [K in keyof C]: RefOf<C[K]>;
} & { readonly [NAMESPACE]: NamespaceSpec; readonly "~name"?: N; readonly "~columns"?: C };

/**
 * Declares a namespace of features.
 * @example
 * export const Transaction = features("transaction", {
 *   id: string().primary(),
 *   user_id: string().references("user.id"),
 *   amount: float(),
 *   ts: datetime().featureTime(),
 * });
 */
export function features<const N extends string, const C extends Columns>(name: N, columns: C): Namespace<N, C> {
  const specColumns: NamespaceColumn[] = [];
  const namespace: Record<string | symbol, unknown> = {};
  for (const [key, column] of Object.entries(columns)) {
    const fqn = `${name}.${key}`;
    if (typeof column === "object" && column !== null && SCALAR in column) {
      specColumns.push({ name: key, kind: "scalar", scalar: column[SCALAR] });
      namespace[key] = featureRef(fqn);
    } else if (typeof column === "object" && column !== null && WINDOWED in column) {
      specColumns.push({ name: key, kind: "windowed", windowed: column[WINDOWED] });
      namespace[key] = Object.freeze({ fqn });
    } else {
      // Kept so validation can report it with the namespace's location.
      specColumns.push({ name: key, kind: "scalar", scalar: invalidColumn() });
    }
  }
  namespace[NAMESPACE] = Object.freeze({ name, columns: Object.freeze(specColumns), site: callSite() });
  return strictNamespace(name, Object.freeze(namespace)) as Namespace<N, C>;
}

/** Names tools probe on any object (promises, JSON, inspectors): never taken for a typo. */
const PROBED = new Set(["then", "toJSON", "constructor", "valueOf", "toString", "inspect", "length", "prototype"]);
const FEATURE_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * A namespace that throws on a feature it does not have (`Order.amout.mean()`), with
 * the closest name, instead of handing back undefined for the next call to fail on
 * ("Cannot read properties of undefined"). The load error then names the file:line.
 */
function strictNamespace(name: string, namespace: Readonly<Record<string | symbol, unknown>>): object {
  return new Proxy(namespace, {
    get(target, key, receiver) {
      if (typeof key === "string" && !(key in target) && FEATURE_NAME.test(key) && !PROBED.has(key)) {
        const near = closestName(key, Object.keys(target));
        throw new Error(`${name} has no feature "${key}"${near === undefined ? "" : `; did you mean "${near}"?`}`);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

function invalidColumn(): ScalarSpec {
  return { kind: "invalid" as ScalarKind, primary: false, references: null, featureTime: false, optional: true, epochUnit: null, site: null };
}

/** All rows of a namespace, for a bare row count: `rows(Transaction).count()`. */
export interface RowsRef {
  where(condition: Condition): RowsRef;
  count(): AggExpr<number>;
}

/**
 * Counts rows without naming a feature (the series table shows an empty Agg column).
 * @example `txn_count: windowed("7d", { expression: rows(Transaction).count(), materialization: true })`
 */
export function rows(namespace: AnyNamespace, filter: FilterNode | null = null): RowsRef {
  const name = namespace[NAMESPACE].name;
  return Object.freeze({
    where: (condition: Condition) => rows(namespace, filter === null ? condition.node : and({ node: filter }, condition).node),
    count: () => Object.freeze({ node: Object.freeze({ kind: "agg" as const, fn: "count" as const, feature: `${name}.*`, filter }) }),
  });
}

/** The row type a stream resolver returns for a namespace (windowed features excluded). */
export type RowOf<NS> =
  NS extends { readonly "~columns"?: infer C extends Columns }
    ? { -readonly [K in keyof C as C[K] extends Scalar<ScalarKind, false> ? K : never]: C[K] extends Scalar<infer Kd, false> ? KindValue[Kd] : never } & {
        -readonly [K in keyof C as C[K] extends Scalar<ScalarKind, true> ? (C[K] extends Scalar<ScalarKind, false> ? never : K) : never]?: C[K] extends Scalar<infer Kd, boolean>
          ? KindValue[Kd] | null
          : never;
      }
    : never;

export type { FeatureRef };
