import type { Project } from "../project/model.js";
import type { SeriesDef } from "../series/derive.js";
import { BucketTable } from "../store/bucket-table.js";
import type { Db } from "../store/open-store.js";
import { readSeries, storedLayouts } from "../store/series-registry.js";
import { bindWindows, type BoundGroup } from "./bind-windows.js";
import { explainValue, windowWarnings, type ValueExplain } from "./explain.js";
import { planRowWindow, planSize, planWindow, type WindowPlan } from "./plan-window.js";
import { readGroupBuckets, readGroupRows } from "./read-group.js";
import { selectWindows } from "./select-windows.js";
import { sweepGroup } from "./sweep-group.js";

export interface QueryRow {
  readonly id: string;
  /** Per-window FQN -> value, in column order. */
  readonly values: Record<string, unknown>;
  readonly explain?: Record<string, ValueExplain>;
}

export interface QueryResult {
  /** T, epoch ms. */
  readonly at: number;
  /** Per-window FQNs, in the order the features were named. */
  readonly columns: readonly string[];
  /** One per distinct id, in the order given. */
  readonly rows: readonly QueryRow[];
  /** Plain sentences about parts of windows the values miss (buffer gap, retention). */
  readonly warnings: readonly string[];
}

/** Feature names resolved and bound to the store once; `run` answers at any T for any ids. */
export interface PreparedQuery {
  readonly columns: readonly string[];
  run(ids: readonly string[], at: number, options?: { readonly explain?: boolean }): QueryResult;
}

/**
 * Prepares a query for `names` (any SPEC 1.5 form). Reads what the store knows about the
 * series (ids, materialized-through times, layouts) now; `run` never reads the clock.
 *
 * @example prepareQuery(db, project, deriveSeries(project), ["user.txn_sum"]).run(["u1"], Date.UTC(2024, 2, 1))
 */
export function prepareQuery(db: Db, project: Project, defs: readonly SeriesDef[], names: readonly string[]): PreparedQuery {
  const targets = selectWindows(names, project);
  const groups = bindWindows(targets, { project, defs, records: readSeries(db, defs), storedLayouts: storedLayouts(db) });
  const table = new BucketTable(db);
  const columns = targets.map((t) => t.fqn);
  return { columns, run: (ids, at, options) => runGroups(db, table, groups, columns, ids.length === 1 ? ids : [...new Set(ids)], at, options?.explain ?? false) };
}

function runGroups(db: Db, table: BucketTable, groups: readonly BoundGroup[], columns: readonly string[], ids: readonly string[], at: number, explain: boolean): QueryResult {
  const values = ids.map(() => new Array<unknown>(columns.length));
  const explains = explain ? ids.map(() => new Array<ValueExplain>(columns.length)) : null;
  const warnings: string[] = [];
  for (const group of groups) {
    const plans = planGroup(group, at);
    plans.forEach((plan, i) => warnings.push(...windowWarnings(group, plan, group.windows[i]!.target.fqn)));
    const order = plans.map((_, i) => i).sort((a, b) => plans[b]!.cut - plans[a]!.cut);
    const buckets = readGroupBuckets(db, table, group, plans, ids);
    const rows = readGroupRows(db, group, plans, ids, at);
    for (let k = 0; k < ids.length; k++) {
      const mine = buckets[k]!;
      sweepGroup(group, plans, order, mine, rows[k]!, (i, value, bucketsUsed, rowsUsed) => {
        const { column, target } = group.windows[i]!;
        values[k]![column] = value;
        if (explains !== null) explains[k]![column] = explainValue(group, plans[i]!, target.fqn, mine.slice(mine.length - bucketsUsed), rowsUsed);
      });
    }
  }
  const rows = ids.map((id, k): QueryRow => {
    const row: QueryRow = { id, values: byColumn(columns, values[k]!) };
    return explains === null ? row : { ...row, explain: byColumn(columns, explains[k]!) };
  });
  return { at, columns, rows, warnings };
}

function planGroup(group: BoundGroup, at: number): WindowPlan[] {
  if (group.kind === "rows") return group.windows.map((w) => planRowWindow(at, w.target.windowMs));
  const size = planSize(at, group.bucketMs, group.anchor, group.bufferMs, group.materializedThrough);
  return group.windows.map((w) => planWindow(size, w.target.windowMs));
}

function byColumn<T>(columns: readonly string[], cells: readonly T[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (let c = 0; c < columns.length; c++) out[columns[c]!] = cells[c]!;
  return out;
}
