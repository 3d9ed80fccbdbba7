import type { NamespaceSpec } from "../dsl/features.js";
import type { NamespaceModel, ScalarModel } from "./model.js";
import { formatSite, problem, type Problem } from "./problem.js";

const NAME = /^[a-z][a-z0-9_]*$/;
const KINDS = new Set(["string", "int", "float", "bool", "datetime"]);

/** Namespaces by name, plus every problem with names, keys, event times and references. */
export function validateNamespaces(declared: readonly { spec: NamespaceSpec; file: string }[], problems: Problem[], base: string): Map<string, NamespaceModel> {
  const namespaces = new Map<string, NamespaceModel>();
  for (const { spec, file } of declared) {
    const site = spec.site ?? { file, line: 1, column: 1 };
    if (!NAME.test(spec.name)) {
      problems.push(problem("bad-name", `namespace name "${spec.name}" is not lower snake case`, site, { hint: 'use letters, digits and "_", starting with a letter, e.g. "transaction"' }));
    }
    const previous = namespaces.get(spec.name);
    if (previous !== undefined) {
      problems.push(problem("duplicate-name", `namespace "${spec.name}" is declared twice (also at ${formatSite(previous.site, base)})`, site, { hint: "namespace names must be unique in the project; rename or remove one" }));
      continue;
    }
    const scalars: ScalarModel[] = [];
    for (const column of spec.columns) {
      const columnSite = (column.kind === "scalar" ? column.scalar.site : column.windowed.site) ?? site;
      if (column.name.includes("__")) {
        problems.push(problem("bad-name", `feature name "${spec.name}.${column.name}" contains "__"`, columnSite, { subject: `${spec.name}.${column.name}`, hint: '"__" separates a window in names like user.txn_sum__86400__; use a single "_"' }));
      } else if (!NAME.test(column.name)) {
        problems.push(problem("bad-name", `feature name "${spec.name}.${column.name}" is not lower snake case`, columnSite, { subject: `${spec.name}.${column.name}` }));
      }
      if (column.kind !== "scalar") continue;
      if (!KINDS.has(column.scalar.kind)) {
        problems.push(problem("bad-expression", `"${spec.name}.${column.name}" is not a feature declaration`, site, { subject: `${spec.name}.${column.name}`, hint: "declare features with string(), int(), float(), bool(), datetime(), windowed() or groupByWindowed()" }));
        continue;
      }
      const unit = column.scalar.epochUnit ?? null;
      if (unit !== null && (column.scalar.kind !== "datetime" || (unit !== "s" && unit !== "ms"))) {
        const why = column.scalar.kind !== "datetime" ? "only a datetime() feature has an epoch unit" : `the epoch unit ${JSON.stringify(unit)} is not "s" or "ms"`;
        problems.push(problem("bad-expression", `"${spec.name}.${column.name}": ${why}`, columnSite, { subject: `${spec.name}.${column.name}`, hint: 'write datetime().epoch("s") for epoch seconds or .epoch("ms") for milliseconds' }));
      }
      scalars.push({ ...column.scalar, epochUnit: unit, name: column.name });
    }
    namespaces.set(spec.name, { name: spec.name, site, scalars, ...keys(spec.name, scalars, site, problems) });
  }
  // A file that failed to load may hold the referenced namespace: do not guess.
  const loadFailed = problems.some((p) => p.code === "load-failed");
  for (const ns of namespaces.values()) checkReferences(ns, namespaces, problems, loadFailed);
  return namespaces;
}

function keys(name: string, scalars: readonly ScalarModel[], site: NamespaceModel["site"], problems: Problem[]) {
  const primaries = scalars.filter((s) => s.primary);
  if (primaries.length > 1) {
    problems.push(problem("primary-key", `namespace "${name}" has ${primaries.length} primary keys (${primaries.map((p) => p.name).join(", ")})`, primaries[1]!.site ?? site, { hint: "mark exactly one feature with .primary()" }));
  }
  const times = scalars.filter((s) => s.featureTime);
  if (times.length > 1) {
    problems.push(problem("feature-time", `namespace "${name}" has ${times.length} event times (${times.map((t) => t.name).join(", ")})`, times[1]!.site ?? site, { hint: "mark at most one datetime feature with .featureTime()" }));
  }
  const fallbackTime = scalars.find((s) => s.name === "ts" && s.kind === "datetime");
  return { primaryKey: primaries[0]?.name ?? null, featureTime: times[0]?.name ?? fallbackTime?.name ?? null };
}

function checkReferences(ns: NamespaceModel, namespaces: ReadonlyMap<string, NamespaceModel>, problems: Problem[], loadFailed: boolean): void {
  for (const scalar of ns.scalars) {
    if (scalar.references === null) continue;
    const [target, feature, ...rest] = scalar.references.split(".");
    const targetNs = namespaces.get(target ?? "");
    const subject = `${ns.name}.${scalar.name}`;
    if (targetNs === undefined && loadFailed) continue;
    if (rest.length > 0 || feature === undefined || targetNs === undefined || !targetNs.scalars.some((s) => s.name === feature)) {
      const known = [...namespaces.values()].flatMap((n) => (n.primaryKey ? [`${n.name}.${n.primaryKey}`] : []));
      problems.push(problem("unknown-reference", `${subject} references "${scalar.references}", which is not a feature of this project`, scalar.site ?? ns.site, { subject, hint: known.length ? `reference a primary key, one of: ${known.join(", ")}` : "declare the referenced namespace first" }));
    } else if (targetNs.primaryKey !== feature) {
      problems.push(problem("unknown-reference", `${subject} references "${scalar.references}", which is not the primary key of "${target}"`, scalar.site ?? ns.site, { subject, hint: targetNs.primaryKey ? `reference "${target}.${targetNs.primaryKey}"` : `mark a feature of "${target}" with .primary()` }));
    }
  }
}
