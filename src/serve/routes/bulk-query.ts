import type { QueryRow } from "../../query/prepare-query.js";
import { formatInstant } from "../../time/instant.js";
import { idColumnsOf, missingInput, windowsByNamespace } from "../entity-inputs.js";
import { HttpError } from "../http-error.js";
import { requestTime } from "../request-time.js";
import type { Lookup } from "../served-project.js";
import { checkSize, fieldError, uniqueWarnings, type RouteContext } from "./route-context.js";

export interface BulkBody {
  readonly inputs: Readonly<Record<string, readonly (string | number)[]>>;
  readonly outputs: readonly string[];
  /** One T for every row, or one per row. */
  readonly now?: string | readonly string[];
}

/**
 * POST /v1/query/bulk: many rows, each naming one entity per namespace in `inputs`
 * (columns of equal length) and, optionally, its own `now`. The answer is column-oriented:
 * `data` holds the input columns and one column per window, `status` one per window.
 * Every row, whatever its T, is read in the same snapshot of the store.
 */
export function bulkQuery(ctx: RouteContext, body: BulkBody) {
  const started = process.hrtime.bigint();
  const served = ctx.served();
  const windows = served.select(body.outputs);
  const inputs = Object.entries(body.inputs);
  const rows = inputs[0]![1].length;
  checkSize(rows, windows.length, ctx.limits);
  const idColumns = idColumnsOf(served.entityKeys, "inputs", "input", inputs);
  const times = rowTimes(ctx, body.now, rows);
  // One lookup per (namespace, distinct T), all in one read snapshot.
  const groups = [...windowsByNamespace(windows)];
  const lookups: (Lookup & { ns: string })[] = [];
  for (const [ns, list] of groups) {
    const column = idColumns.get(ns);
    if (column === undefined) throw missingInput("inputs", ns, list, served.entityKeys);
    const idsAt = new Map<number, string[]>();
    for (let r = 0; r < rows; r++) {
      const ids = idsAt.get(times[r]!);
      if (ids === undefined) idsAt.set(times[r]!, [column.ids[r]!]);
      else ids.push(column.ids[r]!);
    }
    for (const [at, ids] of idsAt) lookups.push({ ns, columns: list.map((w) => w.fqn), ids, at });
  }
  const results = served.run(lookups);
  const rowOf = new Map<string, QueryRow>();
  results.forEach((result, l) => {
    for (const row of result.rows) rowOf.set(`${lookups[l]!.ns}\u0000${lookups[l]!.at}\u0000${row.id}`, row);
  });
  const warnings = uniqueWarnings(results.map((r) => r.warnings));
  const data: Record<string, unknown[]> = {};
  const status: Record<string, string[]> = {};
  for (const { key, ids } of idColumns.values()) data[key] = ids;
  for (const w of windows) {
    const column = idColumns.get(w.feature.namespace)!;
    const values: unknown[] = (data[w.fqn] = new Array(rows));
    const statuses: string[] = (status[w.fqn] = new Array(rows));
    for (let r = 0; r < rows; r++) {
      const row = rowOf.get(`${w.feature.namespace}\u0000${times[r]}\u0000${column.ids[r]}`)!;
      values[r] = row.values[w.fqn] ?? null;
      statuses[r] = row.status[w.fqn]!;
    }
  }
  const errors = windows.flatMap((w) => {
    const problem = status[w.fqn]!.find((s) => s === "partial" || s === "overflow");
    const error = problem === undefined ? null : fieldError(w.fqn, problem, warnings);
    return error === null ? [] : [{ ...error, category: "FIELD", feature: w.fqn }];
  });
  return {
    fields: windows.map((w) => w.fqn),
    now: times.map(formatInstant),
    data,
    status,
    errors,
    meta: { execution_duration_s: Number(process.hrtime.bigint() - started) / 1e9, query_timestamp: formatInstant(times[0]!), rows },
    warnings,
  };
}

function rowTimes(ctx: RouteContext, now: BulkBody["now"], rows: number): number[] {
  if (now === undefined || typeof now === "string") return new Array<number>(rows).fill(now === undefined ? ctx.now() : requestTime(now, "now"));
  if (now.length !== rows) throw new HttpError(400, "invalid_request", `now has ${now.length} times for ${rows} rows`, "give one now for every row, or one string for all of them");
  return now.map((text, i) => requestTime(text, `now[${i}]`));
}
