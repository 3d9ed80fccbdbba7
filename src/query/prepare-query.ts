import type { Project } from "../project/model.js";
import type { SeriesDef } from "../series/derive.js";
import type { Db } from "../store/open-store.js";
import { readSeries, storedLayouts } from "../store/series-registry.js";
import { bindWindows, type BoundGroup } from "./bind-windows.js";
import { explainValue, type ValueExplain } from "./explain.js";
import { planGroup, type GroupPlan } from "./plan-group.js";
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
  const columns = targets.map((t) => t.fqn);
  // Plans depend on T only: a service asking at the same T again skips planning.
  let plannedAt = NaN;
  let plans: GroupPlan[] = [];
  // Several groups, or buckets plus the row log (a continuous buffer), are several
  // statements: one read transaction makes them see one commit.
  const inSnapshot = db.transaction((ids: readonly string[], at: number, explain: boolean) => runGroups(db, groups, plans, columns, ids, at, explain));
  const severalReads = groups.length > 1 || groups.some((g) => g.bufferMs !== null);
  return {
    columns,
    run(ids, at, options) {
      if (at !== plannedAt) {
        plans = groups.map((group) => planGroup(group, at));
        plannedAt = at;
      }
      const unique = ids.length === 1 ? ids : [...new Set(ids)];
      const explain = options?.explain === true;
      return severalReads ? inSnapshot(unique, at, explain) : runGroups(db, groups, plans, columns, unique, at, explain);
    },
  };
}

function runGroups(db: Db, groups: readonly BoundGroup[], plans: readonly GroupPlan[], columns: readonly string[], ids: readonly string[], at: number, explain: boolean): QueryResult {
  const values = ids.map(() => new Array<unknown>(columns.length));
  const explains = explain ? ids.map(() => new Array<ValueExplain>(columns.length)) : null;
  const used: number[] | null = explain ? [] : null;
  const warnings: string[] = [];
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const plan = plans[g]!;
    warnings.push(...plan.warnings);
    const runs = readGroupBuckets(db, group, plan, ids);
    const rows = readGroupRows(db, group, plan, ids, at);
    for (let k = 0; k < ids.length; k++) {
      sweepGroup(group, plan, runs[k]!, rows[k]!, values[k]!, used);
      if (explains === null) continue;
      group.windows.forEach(({ column, target }, i) => {
        explains[k]![column] = explainValue(group, plan.windows[i]!, target.fqn, runs[k]!, used![2 * i]!, used![2 * i + 1]!);
      });
    }
  }
  const rows = ids.map((id, k): QueryRow => {
    const row: QueryRow = { id, values: byColumn(columns, values[k]!) };
    return explains === null ? row : { ...row, explain: byColumn(columns, explains[k]!) };
  });
  return { at, columns, rows, warnings };
}

function byColumn<T>(columns: readonly string[], cells: readonly T[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (let c = 0; c < columns.length; c++) out[columns[c]!] = cells[c]!;
  return out;
}
