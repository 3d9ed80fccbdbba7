import type { Project } from "../project/model.js";
import type { SeriesDef } from "../series/derive.js";
import type { Db } from "../store/sqlite/open-store.js";
import { readSeries } from "../store/series-registry.js";
import { sqliteTransactions } from "../store/sqlite/sqlite-transactions.js";
import { readSizeRecords } from "../store/size-state.js";
import { bindWindows, type BoundGroup } from "./bind-windows.js";
import { explainValue, type ValueExplain } from "./explain.js";
import { planGroup, type GroupPlan } from "./plan-group.js";
import { readGroupBuckets, readGroupRows } from "./read-group.js";
import { selectWindows } from "./select-windows.js";
import { sweepGroup, type ValueStatus } from "./sweep-group.js";

export interface QueryRow {
  readonly id: string;
  /** Per-window FQN -> value, in column order. */
  readonly values: Record<string, unknown>;
  /** Per-window FQN -> how the value was made (SPEC 5.3): present, default, row_log, partial, overflow. */
  readonly status: Record<string, ValueStatus>;
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
 * Prepares a query for `names` (any SPEC 1.5 form); `run` never reads the clock. Every
 * run reads inside one read transaction and checks there whether another connection has
 * committed since the store's records were last read (the store's change token, which
 * describes the transaction's snapshot); if one has, the series records, size records
 * and materialized-through times are read again from that same snapshot, so a value is
 * never read from buckets that the records of another moment describe.
 *
 * @example prepareQuery(db, project, deriveSeries(project), ["user.txn_sum"]).run(["u1"], Date.UTC(2024, 2, 1))
 */
export function prepareQuery(db: Db, project: Project, defs: readonly SeriesDef[], names: readonly string[]): PreparedQuery {
  const targets = selectWindows(names, project);
  const columns = targets.map((t) => t.fqn);
  const tx = sqliteTransactions(db);
  let version: unknown = null;
  let groups: BoundGroup[] = [];
  // Plans depend on T and the records only: a service asking at the same T again skips planning.
  let plannedAt = NaN;
  let plans: GroupPlan[] = [];
  const inSnapshot = tx.reader((ids: readonly string[], at: number, explain: boolean) => {
    const now = tx.changeToken();
    if (now !== version) {
      groups = bindWindows(targets, { project, defs, records: readSeries(db, defs), sizes: readSizeRecords(db) });
      version = now;
      plannedAt = NaN;
    }
    if (at !== plannedAt) {
      plans = groups.map((group) => planGroup(group, at));
      plannedAt = at;
    }
    return runGroups(db, groups, plans, columns, ids, at, explain);
  });
  return {
    columns,
    run(ids, at, options) {
      const unique = ids.length === 1 ? ids : [...new Set(ids)];
      return inSnapshot(unique, at, options?.explain === true);
    },
  };
}

function runGroups(db: Db, groups: readonly BoundGroup[], plans: readonly GroupPlan[], columns: readonly string[], ids: readonly string[], at: number, explain: boolean): QueryResult {
  const values = ids.map(() => new Array<unknown>(columns.length));
  const statuses = ids.map(() => new Array<ValueStatus>(columns.length));
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
      sweepGroup(group, plan, runs[k]!, rows[k]!, values[k]!, statuses[k]!, used);
      if (explains === null) continue;
      group.windows.forEach(({ column, target }, i) => {
        explains[k]![column] = explainValue(group, plan.windows[i]!, target.fqn, runs[k]!, used![2 * i]!, used![2 * i + 1]!);
      });
    }
  }
  const overflowed = new Set<string>();
  const rows = ids.map((id, k): QueryRow => {
    const status = byColumn(columns, statuses[k]!);
    for (const c of columns) if (status[c] === "overflow") overflowed.add(c);
    const row: QueryRow = { id, values: byColumn(columns, values[k]!), status };
    return explains === null ? row : { ...row, explain: byColumn(columns, explains[k]!) };
  });
  for (const c of overflowed) warnings.push(`${c}: a value is beyond the range of a double (±Infinity; JSON prints it as null): the sum of its rows overflowed, status "overflow"`);
  return { at, columns, rows, warnings };
}

function byColumn<T>(columns: readonly string[], cells: readonly T[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (let c = 0; c < columns.length; c++) out[columns[c]!] = cells[c]!;
  return out;
}
