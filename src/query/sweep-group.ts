import type { BucketState, Row } from "../aggregate/types.js";
import { aggregatedValue } from "../series/row-match.js";
import type { BucketRecord } from "../store/bucket-table.js";
import type { BoundGroup } from "./bind-windows.js";
import type { WindowPlan } from "./plan-window.js";

/** A row-log row of one entity that the group's filter keeps, with its group key. */
export interface MatchedRow {
  readonly ts: number;
  readonly row: Row;
  readonly keys: readonly string[];
}

/** Called once per window: its value and how many of the newest buckets and rows it used. */
export type Emit = (window: number, value: unknown, bucketsUsed: number, rowsUsed: number) => void;

/**
 * One entity's values for every window of a group. Windows are visited from the newest
 * cut to the oldest (`order`), folding buckets and rows in from the newest, so each
 * bucket is decoded and merged once however many windows use it. Bucket starts and row
 * times never share a time range (see planSize), so each row counts once.
 *
 * `buckets` and `rows` are oldest first and hold only what the group's plan reads.
 */
export function sweepGroup(group: BoundGroup, plans: readonly WindowPlan[], order: readonly number[], buckets: readonly BucketRecord[], rows: readonly MatchedRow[], emit: Emit): void {
  const { layout } = group;
  const single = group.grouped ? null : layout.empty();
  const byKey = group.grouped ? new Map<string, BucketState>() : null;
  let r = rows.length - 1;
  let b = buckets.length - 1;
  for (const i of order) {
    const cut = plans[i]!.cut;
    for (; r >= 0 && rows[r]!.ts >= cut; r--) {
      const { row, keys } = rows[r]!;
      const state = single ?? stateFor(byKey!, subKey(keys, group.keyIndex), group);
      layout.add(state, aggregatedValue(group.match, row), row);
    }
    for (; b >= 0 && buckets[b]!.start >= cut; b--) {
      const bucket = buckets[b]!;
      const decoded = layout.decode(bucket.state);
      if (single !== null) layout.merge(single, decoded);
      else {
        const key = subKey(bucket.keys, group.keyIndex);
        const into = byKey!.get(key);
        if (into === undefined) byKey!.set(key, decoded);
        else layout.merge(into, decoded);
      }
    }
    const { feature } = group.windows[i]!.target;
    emit(i, single !== null ? finishOne(group, single, feature) : finishMap(group, byKey!, feature), buckets.length - 1 - b, rows.length - 1 - r);
  }
}

type Feature = BoundGroup["windows"][number]["target"]["feature"];

/** A window with no rows gives the feature's default, else the aggregation's value on no rows. */
function finishOne(group: BoundGroup, state: BucketState, feature: Feature): unknown {
  if (feature.hasDefault && group.layout.rows(state) === 0) return feature.default;
  return group.layout.finish(state, feature.agg);
}

function finishMap(group: BoundGroup, byKey: Map<string, BucketState>, feature: Feature): unknown {
  if (byKey.size === 0 && feature.hasDefault) return feature.default;
  const out: Record<string, unknown> = {};
  for (const key of [...byKey.keys()].sort()) out[key] = group.layout.finish(byKey.get(key)!, feature.agg);
  return out;
}

function stateFor(byKey: Map<string, BucketState>, key: string, group: BoundGroup): BucketState {
  let state = byKey.get(key);
  if (state === undefined) byKey.set(key, (state = group.layout.empty()));
  return state;
}

/** The group key without the entity's own key: one group-by value, or several joined by "|". */
export function subKey(keys: readonly string[], keyIndex: number): string {
  if (keys.length === 2) return keys[1 - keyIndex]!;
  return keys.filter((_, i) => i !== keyIndex).join("|");
}
