import type { Windowed } from "../dsl/windowed.js";

/**
 * Types that follow a project's declarations: which feature names exist, and what one
 * window of each is worth. `P` is what the program imports of its feature project: a
 * namespace (`typeof User`), a union of them, or a module of them (`typeof import("./features/user.js")`).
 * Without `P` (or with `unknown`), names are strings and values `FeatureValue`.
 *
 * @example
 * type Features = typeof import("./features/user.js") | typeof import("./features/merchant.js");
 * type Sum = ValueOf<Features, "user.txn_sum">; // number
 */
export type FeatureValue = number | null | readonly unknown[] | { readonly [key: string]: unknown };

/** How each value was made (SPEC 5.3): `present`, `default`, `row_log`, `partial`, `overflow`. */
export type ValueStatus = "present" | "default" | "row_log" | "partial" | "overflow";

/** The namespaces among `P`: namespaces themselves, or the exports of modules. */
export type NamespacesOf<P> = P extends { readonly "~columns"?: unknown } ? P : P extends object ? { [K in keyof P]: P[K] extends { readonly "~columns"?: unknown } ? P[K] : never }[keyof P] : never;

type RootsOfOne<NS> = NS extends { readonly "~name"?: infer N extends string; readonly "~columns"?: infer C }
  ? { [K in keyof C & string]: C[K] extends Windowed<unknown> ? `${N}.${K}` : never }[keyof C & string]
  : never;

type OutOfOne<NS, R> = NS extends { readonly "~name"?: infer N extends string; readonly "~columns"?: infer C }
  ? R extends `${N}.${infer K}`
    ? K extends keyof C
      ? C[K] extends Windowed<infer Out>
        ? Out
        : never
      : never
    : never
  : never;

/** Root FQNs of the windowed features of `P`: `"user.txn_sum" | "user.txn_mean" | ...`. */
export type FeatureRoot<P> = unknown extends P ? string : RootsOfOne<NamespacesOf<P>>;

/**
 * Every name `query` accepts for `P` (SPEC 1.5): a root (all its windows), a per-window
 * FQN (`user.txn_sum__86400__`, `user.txn_sum__7d__`) or `user.txn_sum["7d"]`.
 */
export type FeatureName<P> = unknown extends P ? string : { [R in FeatureRoot<P>]: R | `${R}__${string}__` | `${R}["${string}"]` }[FeatureRoot<P>];

/** The root a name stands for. */
type RootOfName<P, F> = { [R in FeatureRoot<P>]: F extends R | `${R}__${string}__` | `${R}["${string}"]` ? R : never }[FeatureRoot<P>];

/** One window's value of the feature `F` names: a sum is `number`, a mean `number | null`, a group-by a record. */
export type ValueOf<P, F extends string> = unknown extends P ? FeatureValue : OutOfOne<NamespacesOf<P>, RootOfName<P, F>>;

/**
 * The result keys a name gives: a per-window FQN in seconds (`user.txn_sum__86400__`,
 * `__all__`) is itself; a root, the `["7d"]` form or `__7d__` gives any per-window FQN of
 * that root (`user.txn_sum__${string}__`, an index signature: under
 * `noUncheckedIndexedAccess` a read of it is `T | undefined`), since the window in
 * seconds is worked out at run time, not by the type checker.
 */
export type KeysOf<P, F extends string> = unknown extends P ? string : F extends `${RootOfName<P, F>}__${infer W}__` ? (W extends `${number}` | "all" ? F : `${RootOfName<P, F>}__${string}__`) : `${RootOfName<P, F>}__${string}__`;

/** Values by per-window FQN for the names `F`. */
export type ValuesOf<P, F extends string> = unknown extends P ? Record<string, FeatureValue> : { readonly [N in F as KeysOf<P, N>]: ValueOf<P, N> };

/** Statuses by per-window FQN for the names `F`. */
export type StatusesOf<P, F extends string> = unknown extends P ? Record<string, ValueStatus> : { readonly [N in F as KeysOf<P, N>]: ValueStatus };
