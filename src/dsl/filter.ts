/**
 * Filter nodes: plain frozen data. A filter is part of a series' identity, so
 * `canonicalFilter` renders it the same way however it was written.
 */
export type Literal = string | number | boolean | null;

export type CompareOp = "eq" | "ne" | "gt" | "gte" | "lt" | "lte";

export type FilterNode =
  | { readonly kind: "cmp"; readonly op: CompareOp; readonly feature: string; readonly value: Literal }
  | { readonly kind: "in"; readonly feature: string; readonly values: readonly Literal[] }
  | { readonly kind: "and"; readonly args: readonly FilterNode[] }
  | { readonly kind: "or"; readonly args: readonly FilterNode[] };

/** A condition built from feature references: `Transaction.category.eq("food")`. */
export interface Condition {
  readonly node: FilterNode;
}

function combine(kind: "and" | "or", conditions: readonly Condition[]): Condition {
  if (conditions.length === 1) return conditions[0]!;
  // Flatten nested and(and(...)) so equal filters get equal identities.
  const args = conditions.flatMap((c) => (c.node.kind === kind ? c.node.args : [c.node]));
  return Object.freeze({ node: Object.freeze({ kind, args: Object.freeze(args) }) });
}

/** All conditions hold. @example `and(Transaction.amount.gt(0), Transaction.category.eq("food"))` */
export function and(...conditions: [Condition, ...Condition[]]): Condition {
  return combine("and", conditions);
}

/** Any condition holds. @example `or(Transaction.category.eq("food"), Transaction.category.eq("bars"))` */
export function or(...conditions: [Condition, ...Condition[]]): Condition {
  return combine("or", conditions);
}

/** A stable text form: and/or arguments sorted, `in` values sorted. */
export function canonicalFilter(node: FilterNode | null): string {
  if (node === null) return "";
  switch (node.kind) {
    case "cmp":
      return `${node.feature} ${node.op} ${JSON.stringify(node.value)}`;
    case "in":
      return `${node.feature} in [${node.values.map((v) => JSON.stringify(v)).sort().join(", ")}]`;
    case "and":
    case "or":
      return `${node.kind}(${node.args.map(canonicalFilter).sort().join(", ")})`;
  }
}

/** Every feature FQN a filter reads. */
export function filterFeatures(node: FilterNode | null): string[] {
  if (node === null) return [];
  if (node.kind === "and" || node.kind === "or") return node.args.flatMap(filterFeatures);
  return [node.feature];
}
