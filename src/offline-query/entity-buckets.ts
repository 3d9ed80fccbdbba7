import { EMPTY_RUN, readBucketRun, type BucketRun } from "../store/sqlite/bucket-runs.js";
import type { Db } from "../store/sqlite/open-store.js";
import type { BoundGroup } from "../query/bind-windows.js";
import type { GroupPlan } from "../query/plan-group.js";
import { lowerBound, upperBound } from "../time/sorted-search.js";
import { mergeSpans } from "./spans.js";

interface MergedRun {
  readonly from: number;
  readonly to: number;
  readonly run: BucketRun;
  /** Bucket indexes of `run` oldest first, and their starts in that order. */
  readonly order: readonly number[];
  readonly starts: readonly number[];
}

/**
 * One entity's buckets of a group for all its spine times: the bucket ranges the plans
 * read (`[firstBucket, lastBucket]`), merged where they overlap or touch, each read once.
 * `viewFor(plan)` then gives exactly the buckets `agg query` would have read for that
 * plan, as a view (an `order` over the merged read), never a copy of their bytes.
 */
export function readEntityBuckets(db: Db, group: BoundGroup, id: string, plans: readonly GroupPlan[]): (plan: GroupPlan) => BucketRun {
  if (group.seriesId === null) return () => EMPTY_RUN;
  const seriesId = group.seriesId;
  const wanted = plans.filter(reads).map((p) => ({ from: p.firstBucket, to: p.lastBucket }));
  // Adjacent bucket starts lie one bucket apart, up to a day more on a zone's calendar.
  const merged: MergedRun[] = mergeSpans(wanted, group.grid?.zone == null ? group.bucketMs : 2 * group.bucketMs).map(({ from, to }) => {
    const run = readBucketRun(db, seriesId, group.bucketMs, group.match.groupKeys.length, group.keyIndex, id, from, to, group.grid?.slotMs ?? group.bucketMs);
    const order = run.order ?? Array.from({ length: run.count }, (_, i) => i);
    return { from, to, run, order, starts: order.map((i) => run.starts[i]!) };
  });
  const froms = merged.map((r) => r.from);
  return (plan) => {
    if (!reads(plan)) return EMPTY_RUN;
    // The merged read holding this plan's range: the last one starting at or before it.
    const m = merged[upperBound(froms, plan.firstBucket) - 1];
    if (m === undefined || plan.lastBucket > m.to) throw new Error(`no bucket read covers [${plan.firstBucket}, ${plan.lastBucket}]`);
    const lo = lowerBound(m.starts, plan.firstBucket);
    const hi = upperBound(m.starts, plan.lastBucket);
    if (lo === hi) return EMPTY_RUN;
    // The sweep stops at the first bucket older than the oldest window's cut: when the
    // bucket below this range is older than that, the range needs no copy of its own.
    const oldestCut = plan.windows[plan.order[plan.order.length - 1]!]!.cut;
    const order = lo === 0 || m.starts[lo - 1]! < oldestCut ? m.order : m.order.slice(lo, hi);
    return { count: order === m.order ? hi : hi - lo, starts: m.run.starts, bytes: m.run.bytes, offsets: m.run.offsets, order, keys: m.run.keys };
  };
}

function reads(plan: GroupPlan): boolean {
  return plan.firstBucket !== Infinity && plan.firstBucket <= plan.lastBucket;
}
