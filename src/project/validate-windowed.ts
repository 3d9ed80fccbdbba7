import type { AggSpec } from "../aggregate/types.js";
import type { NamespaceSpec } from "../dsl/features.js";
import type { AggNode } from "../dsl/feature-ref.js";
import { filterFeatures } from "../dsl/filter.js";
import type { Site } from "../dsl/site.js";
import type { WindowedSpec } from "../dsl/windowed.js";
import { UNBOUNDED_MS } from "../time/duration.js";
import type { NamespaceModel, WindowedFeature } from "./model.js";
import { problem, type Problem } from "./problem.js";
import { durationOrProblem, validateMaterialization } from "./validate-materialization.js";
import { reportUnknownOptions } from "./unknown-options.js";
import { GROUP_BY_WINDOWED_KEYS, WINDOWED_KEYS } from "../dsl/windowed.js";

const NUMERIC = new Set(["sum", "mean", "min", "max", "std", "variance", "approxPercentile"]);
/** The store keeps up to four group keys per bucket (the join key and three group-by keys). */
export const MAX_GROUP_KEYS = 4;

/** Every windowed feature of every namespace, validated; problems for the rest. */
export function validateWindowed(declared: readonly { spec: NamespaceSpec; file: string }[], namespaces: ReadonlyMap<string, NamespaceModel>, problems: Problem[]): WindowedFeature[] {
  const out: WindowedFeature[] = [];
  for (const { spec } of declared) {
    const owner = namespaces.get(spec.name);
    if (owner === undefined) continue;
    for (const column of spec.columns) {
      if (column.kind !== "windowed") continue;
      const feature = validateOne(owner, column.name, column.windowed, namespaces, problems);
      if (feature !== null) out.push(feature);
    }
  }
  return out;
}

function validateOne(owner: NamespaceModel, name: string, spec: WindowedSpec, namespaces: ReadonlyMap<string, NamespaceModel>, problems: Problem[]): WindowedFeature | null {
  const fqn = `${owner.name}.${name}`;
  const site: Site | null = spec.site ?? owner.site;
  const before = problems.length;
  const fail = (code: Problem["code"], message: string, hint?: string) => problems.push(problem(code, message, site, hint === undefined ? { subject: fqn } : { subject: fqn, hint }));

  const node = spec.expression as AggNode | undefined;
  if (node?.kind !== "agg") {
    fail("bad-expression", `${fqn} has no aggregation expression`, "write expression: Transaction.amount.sum() (or another aggregation)");
    return null;
  }
  const [sourceName = "", featureName = ""] = node.feature.split(".");
  const source = namespaces.get(sourceName);
  if (source === undefined) {
    fail("unknown-reference", `${fqn} aggregates "${node.feature}", but namespace "${sourceName}" is not exported by any feature file`, `export the namespace: export const X = features("${sourceName}", {...})`);
    return null;
  }
  const aggregated = featureName === "*" ? null : (source.scalars.find((s) => s.name === featureName) ?? null);
  if (featureName !== "*" && aggregated === null) fail("unknown-reference", `${fqn} aggregates "${node.feature}", which is not a scalar feature of "${sourceName}"`, "aggregate a scalar feature; windowed features cannot be aggregated again");
  if (aggregated !== null && NUMERIC.has(node.fn) && aggregated.kind !== "int" && aggregated.kind !== "float") {
    fail("bad-expression", `${fqn} takes ${node.fn}() of "${node.feature}", a ${aggregated.kind} feature`, "numeric aggregations need an int or float feature");
  }
  const agg = aggSpec(node, fqn, sourceName, source, fail);
  if (source.featureTime === null) fail("feature-time", `${fqn} aggregates "${sourceName}", which has no event time`, `mark a datetime feature of "${sourceName}" with .featureTime(), or name it "ts"`);
  if (source.primaryKey === null) fail("primary-key", `${fqn} aggregates "${sourceName}", which has no primary key`, `mark one feature of "${sourceName}" with .primary() so the row log can key its rows`);
  for (const used of filterFeatures(node.filter)) {
    if (!isFeatureOf(used, source)) fail("unknown-reference", `the filter of ${fqn} reads "${used}", which is not a feature of "${sourceName}"`, `filters may only use features of the aggregated namespace "${sourceName}"`);
  }

  const windows = spec.windows.map((text) => ({ text, ms: windowMs(text, fqn, site, problems) }));
  const valid = windows.filter((w): w is { text: string; ms: number } => w.ms !== null);
  if (windows.length === 0) fail("bad-window", `${fqn} declares no window`, 'list at least one window: windowed("7d", { ... })');
  const seen = new Set<number>();
  for (const w of valid) {
    if (seen.has(w.ms)) fail("bad-window", `${fqn} lists window "${w.text}" twice`, "list each window once");
    seen.add(w.ms);
  }

  const joinKey = findJoinKey(owner, source, spec.on, fqn, fail);
  const groupBy = spec.groupBy.map((ref) => {
    if (!isFeatureOf(ref, source)) fail("unknown-reference", `${fqn} groups by "${ref}", which is not a feature of "${sourceName}"`, `group by features of the aggregated namespace "${sourceName}"`);
    return ref.split(".")[1] ?? "";
  });
  if (spec.kind === "groupByWindowed" && groupBy.length === 0) fail("bad-expression", `${fqn} has no groupBy keys`, "write groupBy: [Transaction.merchant_id]");
  if (joinKey !== null && groupBy.includes(joinKey)) fail("join-key", `${fqn} groups by its own join key "${sourceName}.${joinKey}"`, "group by another feature; the join key is always part of the group");
  if (groupBy.length + 1 > MAX_GROUP_KEYS) fail("bad-expression", `${fqn} has ${groupBy.length + 1} group keys; at most ${MAX_GROUP_KEYS} are supported`, "group by fewer features");

  reportUnknownOptions(spec.unknownOptions ?? [], spec.kind === "groupByWindowed" ? GROUP_BY_WINDOWED_KEYS : WINDOWED_KEYS, `the options of ${fqn}`, site, fqn, problems);
  const materialization = spec.materialization === null ? null : validateMaterialization(spec.materialization, valid, site, fqn, problems);
  if (problems.length > before || joinKey === null) return null;
  const order = source.scalars.map((s) => s.name);
  return {
    namespace: owner.name,
    name,
    fqn,
    kind: spec.kind,
    windows: valid.map((w) => w.ms),
    agg,
    source: sourceName,
    feature: aggregated?.name ?? null,
    filter: node.filter,
    joinKey,
    groupBy: [...groupBy].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
    materialization,
    hasDefault: spec.hasDefault,
    default: spec.default,
    site,
  };
}

function isFeatureOf(fqn: string, ns: NamespaceModel): boolean {
  const [nsName, feature] = fqn.split(".");
  return nsName === ns.name && ns.scalars.some((s) => s.name === feature);
}

function windowMs(text: string, fqn: string, site: Site | null, problems: Problem[]): number | null {
  const ms = durationOrProblem(text, "window", site, fqn, problems);
  if (ms !== null && ms !== UNBOUNDED_MS && ms % 1000 !== 0) {
    problems.push(problem("bad-window", `window "${text}" of ${fqn} is not a whole number of seconds`, site, { subject: fqn, hint: "feature names carry windows in seconds; use s or longer units" }));
    return null;
  }
  return ms;
}

function aggSpec(node: AggNode, fqn: string, sourceName: string, source: NamespaceModel, fail: (code: Problem["code"], message: string, hint?: string) => void): AggSpec {
  const positive = (value: number | undefined, what: string) => {
    if (value === undefined || !Number.isInteger(value) || value < 1 || value > 10_000) fail("bad-expression", `${fqn}: ${what} must be a whole number from 1 to 10000, got ${String(value)}`, `write e.g. ${what} = 5`);
  };
  switch (node.fn) {
    case "approxPercentile":
      if (node.q === undefined || !(node.q >= 0 && node.q <= 1)) fail("bad-expression", `${fqn}: approxPercentile(q) needs q between 0 and 1, got ${String(node.q)}`, "write 0.95 for the 95th percentile");
      return { fn: node.fn, q: node.q ?? 0.5 };
    case "approxTopK":
      positive(node.k, "k");
      return { fn: node.fn, k: node.k ?? 1 };
    case "minByN":
    case "maxByN": {
      positive(node.n, "n");
      const by = node.by ?? "";
      if (!isFeatureOf(by, source)) fail("unknown-reference", `${fqn} orders by "${by}", which is not a feature of "${sourceName}"`, `order by a feature of "${sourceName}", e.g. its event time`);
      return { fn: node.fn, n: node.n ?? 1, by: by.split(".")[1] ?? "" };
    }
    default:
      return { fn: node.fn };
  }
}

function findJoinKey(owner: NamespaceModel, source: NamespaceModel, on: string | null, fqn: string, fail: (code: Problem["code"], message: string, hint?: string) => void): string | null {
  if (on !== null) {
    if (!isFeatureOf(on, source)) {
      fail("join-key", `${fqn}: on "${on}" is not a feature of "${source.name}"`, `name a feature of "${source.name}" that holds ${owner.name} ids`);
      return null;
    }
    return on.split(".")[1] ?? null;
  }
  if (owner.primaryKey === null) {
    fail("primary-key", `${fqn} is a windowed feature of "${owner.name}", which has no primary key`, `mark the id feature of "${owner.name}" with .primary()`);
    return null;
  }
  const target = `${owner.name}.${owner.primaryKey}`;
  const candidates = source.scalars.filter((s) => s.references === target);
  if (candidates.length === 1) return candidates[0]!.name;
  if (candidates.length === 0) {
    fail("join-key", `${fqn}: no feature of "${source.name}" references "${target}", so there is no join key`, `add .references("${target}") to the ${source.name} feature that holds ${owner.name} ids, or write on: ${capitalize(source.name)}.<feature>`);
  } else {
    fail("join-key", `${fqn}: several features of "${source.name}" reference "${target}" (${candidates.map((c) => c.name).join(", ")}), so the join key is ambiguous`, `name one with on: ${capitalize(source.name)}.${candidates[0]!.name}`);
  }
  return null;
}

function capitalize(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
