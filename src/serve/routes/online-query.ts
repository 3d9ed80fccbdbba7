import { explainJson } from "../../query/explain-json.js";
import { formatInstant } from "../../time/instant.js";
import { entityId, missingInput, namespaceOfKey, windowsByNamespace } from "../entity-inputs.js";
import { requestTime } from "../request-time.js";
import type { Lookup } from "../served-project.js";
import { fieldError, uniqueWarnings, type RouteContext } from "./route-context.js";

export interface OnlineBody {
  readonly inputs: Readonly<Record<string, string | number>>;
  readonly outputs: readonly string[];
  readonly now?: string;
  readonly include_meta?: boolean;
  readonly explain?: boolean;
}

/**
 * POST /v1/query/online, Chalk-shaped: one entity per namespace named in `inputs`, one
 * `data` entry per window of `outputs` (a root: all its windows), values and statuses as
 * `agg query --json` gives them, read in one snapshot.
 */
export function onlineQuery(ctx: RouteContext, body: OnlineBody) {
  const started = process.hrtime.bigint();
  const served = ctx.served();
  const at = body.now === undefined ? ctx.now() : requestTime(body.now, "now");
  const windows = served.select(body.outputs);
  const idOf = new Map<string, string>();
  for (const [key, value] of Object.entries(body.inputs)) idOf.set(namespaceOfKey(served.entityKeys, "inputs", key), entityId(value, `inputs[${JSON.stringify(key)}]`));
  const groups = [...windowsByNamespace(windows)];
  const lookups: Lookup[] = groups.map(([ns, list]) => {
    const id = idOf.get(ns);
    if (id === undefined) throw missingInput("inputs", ns, list, served.entityKeys);
    return { columns: list.map((w) => w.fqn), ids: [id], at, explain: body.explain === true };
  });
  const results = served.run(lookups);
  const rowOf = new Map(groups.map(([ns], g) => [ns, results[g]!.rows[0]!]));
  const warnings = uniqueWarnings(results.map((r) => r.warnings));
  const ts = formatInstant(at);
  const data = windows.map((w) => {
    const row = rowOf.get(w.feature.namespace)!;
    const status = row.status[w.fqn]!;
    const explain = row.explain?.[w.fqn];
    return {
      field: w.fqn,
      value: row.values[w.fqn] ?? null,
      status,
      error: fieldError(w.fqn, status, warnings),
      ...(body.include_meta === true ? { pkey: row.id, ts } : {}),
      ...(explain === undefined ? {} : { explain: explainJson(explain) }),
    };
  });
  return {
    data,
    errors: data.flatMap((d) => (d.error === null ? [] : [{ ...d.error, category: "FIELD", feature: d.field }])),
    meta: { execution_duration_s: Number(process.hrtime.bigint() - started) / 1e9, query_timestamp: ts },
    warnings,
  };
}
