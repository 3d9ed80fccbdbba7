import { SCALAR } from "./brand.js";
import { callSite, type Site } from "./site.js";

export type ScalarKind = "string" | "int" | "float" | "bool" | "datetime";

/** What a datetime feature accepts in a row: ISO string, epoch milliseconds (or seconds with `.epoch("s")`), or a Date. */
export type DateInput = string | number | Date;

/** The TypeScript type of each scalar kind's values. */
export interface KindValue {
  string: string;
  int: number;
  float: number;
  bool: boolean;
  datetime: DateInput;
}

/** The plain data behind a scalar declaration. */
export interface ScalarSpec {
  readonly kind: ScalarKind;
  readonly primary: boolean;
  readonly references: string | null;
  readonly featureTime: boolean;
  readonly optional: boolean;
  /** datetime only: the unit of numeric values, when declared with `.epoch()`. */
  readonly epochUnit: "s" | "ms" | null;
  readonly site: Site | null;
}

/**
 * A scalar feature declaration. Modifiers return a new builder; `.optional()` widens the
 * row type to allow null. `K` and `O` are phantom: they only steer the types.
 */
export interface Scalar<K extends ScalarKind, O extends boolean = false> {
  readonly [SCALAR]: ScalarSpec;
  readonly "~kind"?: K;
  readonly "~optional"?: O;
  /** Marks the primary key: `id: string().primary()`. */
  primary(): Scalar<K, O>;
  /** Declares a foreign key by FQN: `user_id: string().references("user.id")`. */
  references(fqn: `${string}.${string}`): Scalar<K, O>;
  /** Marks the event time that decides a row's bucket: `ts: datetime().featureTime()`. */
  featureTime(this: Scalar<"datetime", O>): Scalar<"datetime", O>;
  /** Allows null: `category: string().optional()`. */
  optional(): Scalar<K, true>;
  /**
   * The unit of numeric event times in rows. Without it, numbers are epoch milliseconds
   * and a number below 1e11 (which can only be seconds, or 1970) is rejected.
   * @example `ts: datetime().featureTime().epoch("s")` // rows carry `ts: 1717063200`
   */
  epoch(this: Scalar<"datetime", O>, unit: "s" | "ms"): Scalar<"datetime", O>;
}

function scalar<K extends ScalarKind, O extends boolean>(spec: ScalarSpec): Scalar<K, O> {
  const with_ = <K2 extends ScalarKind, O2 extends boolean>(patch: Partial<ScalarSpec>) =>
    scalar<K2, O2>(Object.freeze({ ...spec, ...patch }));
  return Object.freeze({
    [SCALAR]: spec,
    primary: () => with_<K, O>({ primary: true }),
    references: (fqn: string) => with_<K, O>({ references: fqn }),
    featureTime: () => with_<"datetime", O>({ featureTime: true }),
    optional: () => with_<K, true>({ optional: true }),
    epoch: (unit: "s" | "ms") => with_<"datetime", O>({ epochUnit: unit }),
  }) as Scalar<K, O>;
}

function declare<K extends ScalarKind>(kind: K): Scalar<K> {
  return scalar<K, false>(
    Object.freeze({ kind, primary: false, references: null, featureTime: false, optional: false, epochUnit: null, site: callSite() }),
  );
}

/** A text feature. @example `merchant_id: string().references("merchant.id")` */
export const string = (): Scalar<"string"> => declare("string");
/** A whole-number feature. @example `age: int().optional()` */
export const int = (): Scalar<"int"> => declare("int");
/** A floating-point feature. @example `amount: float()` */
export const float = (): Scalar<"float"> => declare("float");
/** A boolean feature. @example `is_fraud: bool()` */
export const bool = (): Scalar<"bool"> => declare("bool");
/** A datetime feature (ISO string, epoch ms or Date in rows; `.epoch("s")` for seconds). @example `ts: datetime().featureTime()` */
export const datetime = (): Scalar<"datetime"> => declare("datetime");
