import type { Db } from "../store/sqlite/open-store.js";
import type { BoundGroup } from "../query/bind-windows.js";
import { planGroup, type GroupPlan } from "../query/plan-group.js";
import { sweepGroup, type MatchedRow, type ValueStatus } from "../query/sweep-group.js";
import { readEntityBuckets } from "./entity-buckets.js";
import type { EntityRows } from "./entity-rows.js";
import { lowerBound } from "../time/sorted-search.js";
import { mergeSpans, type TimeSpan } from "./spans.js";
import type { WarningTally } from "./warning-tally.js";

export interface SweepContext {
  readonly db: Db;
  readonly groups: readonly BoundGroup[];
  readonly rows: EntityRows;
  readonly plans: PlanCache;
  /** Row-log rows at or after this end are left out, per T: `T + 1` (rows at T count) or `T` (--exclude-at-time). */
  readonly rowsEnd: (at: number) => number;
  readonly warnings: WarningTally;
}

/**
 * The values of every group for one entity at each of its spine times (ascending):
 * `values[k]` and `statuses[k]` get the columns of time `ats[k]`. Each time is planned as
 * `agg query --at T` plans it (planGroup), and each plan's buckets and rows are exactly
 * what that query reads, so the values are the same bit for bit; but the entity's
 * buckets and rows are read once for all its times, not once per time.
 */
export function sweepEntity(ctx: SweepContext, id: string, ats: readonly number[], values: unknown[][], statuses: ValueStatus[][]): void {
  for (let g = 0; g < ctx.groups.length; g++) {
    const group = ctx.groups[g]!;
    const plans = ats.map((at) => ctx.plans.plan(g, group, at));
    const bucketsFor = readEntityBuckets(ctx.db, group, id, plans);
    const rowsFor = readEntityRows(ctx, group, id, plans, ats);
    for (let k = 0; k < ats.length; k++) {
      const plan = plans[k]!;
      sweepGroup(group, plan, bucketsFor(plan), rowsFor(k), values[k]!, statuses[k]!, null);
      if (plan.warnings.length > 0) ctx.warnings.add(plan.warnings);
    }
  }
}

/** The spans of the row log one plan reads: the history in place of buckets, then the newest rows. */
function rowSpans(plan: GroupPlan, end: number): TimeSpan[] {
  const spans: TimeSpan[] = [];
  if (plan.history !== null && plan.history.from < plan.history.to) spans.push(plan.history);
  if (plan.rowsFrom !== Infinity && plan.rowsFrom < end) spans.push({ from: plan.rowsFrom, to: end });
  return spans;
}

function readEntityRows(ctx: SweepContext, group: BoundGroup, id: string, plans: readonly GroupPlan[], ats: readonly number[]): (k: number) => readonly MatchedRow[] {
  const perPlan = plans.map((plan, k) => rowSpans(plan, ctx.rowsEnd(ats[k]!)));
  const all: MatchedRow[] = [];
  for (const span of mergeSpans(perPlan.flat(), 0)) ctx.rows.collect(group, id, span.from, span.to, all);
  if (all.length === 0) return () => NONE;
  const times = all.map((r) => r.ts);
  return (k) => {
    const spans = perPlan[k]!;
    if (spans.length === 0) return NONE;
    const parts = spans.map((s) => all.slice(lowerBound(times, s.from), lowerBound(times, s.to)));
    return parts.length === 1 ? parts[0]! : parts.flat();
  };
}

const NONE: readonly MatchedRow[] = Object.freeze([]);

/**
 * Plans by T, shared by every entity (a spine of daily snapshots asks the same T for
 * each of them); bounded, so a spine of distinct times does not keep them all.
 */
export class PlanCache {
  private readonly byAt = new Map<number, GroupPlan[]>();

  constructor(private readonly limit = 8192) {}

  plan(g: number, group: BoundGroup, at: number): GroupPlan {
    let plans = this.byAt.get(at);
    if (plans === undefined) {
      if (this.byAt.size >= this.limit) this.byAt.clear();
      this.byAt.set(at, (plans = []));
    }
    return (plans[g] ??= planGroup(group, at));
  }
}
