import { formatInstant } from "../../time/instant.js";
import { idColumnsOf, missingInput, windowsByNamespace } from "../entity-inputs.js";
import { requestTime } from "../request-time.js";
import type { Lookup } from "../served-project.js";
import { checkSize, uniqueWarnings, type RouteContext } from "./route-context.js";

export interface FeastBody {
  readonly features: readonly string[];
  readonly entities: Readonly<Record<string, readonly (string | number)[]>>;
  /** Accepted for Feast clients; names are always agg's per-window FQNs. */
  readonly full_feature_names?: boolean;
  /** agg's addition: the T to answer for (default now). */
  readonly now?: string;
}

/** Feast's `feature_view:feature` written as agg's `namespace.feature`; any other form as it is. */
const FEAST_REF = /^([a-z][a-z0-9_]*):(.+)$/;

/**
 * POST /get-online-features, shaped as Feast's feature server answers: `metadata.feature_names`
 * (the entity key first, then one per window) and one `results` entry per name with
 * `values`, `statuses` and `event_timestamps` per entity. Statuses are agg's (present,
 * default, row_log, partial, overflow); every timestamp is the T the value is as of.
 */
export function feastFeatures(ctx: RouteContext, body: FeastBody) {
  const served = ctx.served();
  const at = body.now === undefined ? ctx.now() : requestTime(body.now, "now");
  const windows = served.select(body.features.map((f) => f.replace(FEAST_REF, "$1.$2")));
  const entities = Object.entries(body.entities);
  const rows = entities[0]![1].length;
  checkSize(rows, windows.length, ctx.limits);
  const columns = idColumnsOf(served.entityKeys, "entities", "entity", entities);
  const groups = [...windowsByNamespace(windows)];
  const lookups: Lookup[] = groups.map(([ns, list]) => {
    const column = columns.get(ns);
    if (column === undefined) throw missingInput("entities", ns, list, served.entityKeys);
    return { columns: list.map((w) => w.fqn), ids: column.ids, at };
  });
  const results = served.run(lookups);
  const byNamespace = new Map(groups.map(([ns], g) => [ns, new Map(results[g]!.rows.map((row) => [row.id, row]))]));
  const ts = formatInstant(at);
  const stamps = new Array<string>(rows).fill(ts);
  const keyResults = [...columns.values()].map(({ key, ids }) => ({ name: key, result: { values: ids, statuses: new Array<string>(rows).fill("present"), event_timestamps: stamps } }));
  const featureResults = windows.map((w) => {
    const byId = byNamespace.get(w.feature.namespace)!;
    const ids = columns.get(w.feature.namespace)!.ids;
    return { name: w.fqn, result: { values: ids.map((id) => byId.get(id)!.values[w.fqn] ?? null), statuses: ids.map((id) => byId.get(id)!.status[w.fqn]!), event_timestamps: stamps } };
  });
  const all = [...keyResults, ...featureResults];
  return { metadata: { feature_names: all.map((r) => r.name) }, results: all.map((r) => r.result), warnings: uniqueWarnings(results.map((r) => r.warnings)) };
}
