import type { BoundGroup } from "./bind-windows.js";
import { windowWarnings } from "./explain.js";
import { planRowWindow, planSize, planWindow, type WindowPlan } from "./plan-window.js";
import { firstMs } from "./span.js";

/** Everything a group reads and reports at time T, the same for every entity. */
export interface GroupPlan {
  /** One per window of the group, in the group's order. */
  readonly windows: readonly WindowPlan[];
  /** Window indexes from the newest cut to the oldest: the order a sweep finishes them. */
  readonly order: readonly number[];
  /** Starts of the oldest and newest bucket any window reads; Infinity: none. */
  readonly firstBucket: number;
  readonly lastBucket: number;
  /** Row-log rows from this time to T are read; Infinity: none. */
  readonly rowsFrom: number;
  /** Older row-log rows read in place of buckets, `[from, to)`; null: none. */
  readonly history: { readonly from: number; readonly to: number } | null;
  readonly warnings: readonly string[];
}

/** Plans every window of a group at T. */
export function planGroup(group: BoundGroup, at: number): GroupPlan {
  let windows: WindowPlan[];
  if (group.kind === "rows") {
    windows = group.windows.map((w) => planRowWindow(at, w.target.windowMs));
  } else {
    const size = planSize(at, {
      bucketMs: group.bucketMs,
      anchor: group.anchor,
      ...(group.grid === null ? {} : { grid: group.grid }),
      bufferMs: group.bufferMs,
      materializedThrough: group.materializedThrough,
      trustedFrom: group.trustedFrom,
      newestEvent: group.newestEvent,
      unfoldedFrom: group.unfoldedFrom,
      offline: group.offline,
    });
    windows = group.windows.map((w) => planWindow(size, w.target.windowMs));
  }
  let firstBucket = Infinity;
  let rowsFrom = Infinity;
  let history: { from: number; to: number } | null = null;
  const warnings: string[] = [];
  windows.forEach((plan, i) => {
    if (plan.buckets !== null) firstBucket = Math.min(firstBucket, plan.buckets.from);
    if (plan.rows !== null) rowsFrom = Math.min(rowsFrom, firstMs(plan.rows));
    if (plan.history !== null) history = { from: Math.min(history?.from ?? Infinity, plan.history.from), to: plan.history.to };
    warnings.push(...windowWarnings(group, plan, group.windows[i]!.target.fqn));
  });
  // History that reaches the newest rows is one read.
  const h = history as { from: number; to: number } | null;
  if (h !== null && h.to >= rowsFrom) {
    rowsFrom = h.from;
    history = null;
  }
  return {
    windows,
    order: windows.map((_, i) => i).sort((a, b) => windows[b]!.cut - windows[a]!.cut),
    firstBucket,
    lastBucket: windows[0]?.size?.lastBucket ?? -Infinity,
    rowsFrom,
    history,
    warnings,
  };
}
