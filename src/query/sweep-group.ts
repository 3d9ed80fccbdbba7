import type { BucketState, Row } from "../aggregate/types.js";
import { aggregatedValue } from "../series/row-match.js";
import type { BucketRun } from "../store/bucket-runs.js";
import type { BoundGroup } from "./bind-windows.js";
import type { GroupPlan } from "./plan-group.js";

/** A row-log row of one entity that the group's filter keeps, with its group key. */
export interface MatchedRow {
  readonly ts: number;
  readonly row: Row;
  readonly keys: readonly string[];
}

/**
 * One entity's values for every window of a group, written to `out` at the windows'
 * columns. Windows are visited from the newest cut to the oldest (`plan.order`), folding
 * buckets and rows in from the newest, so each bucket is merged once, straight from its
 * bytes, however many windows use it. Bucket starts and row times never share a time
 * range (see planSize), so each row counts once.
 *
 * `run` and `rows` hold only what the group's plan reads; `rows` are oldest first. With
 * `used`, window i's count of buckets and rows goes to `used[2i]` and `used[2i + 1]`.
 */
export function sweepGroup(group: BoundGroup, plan: GroupPlan, run: BucketRun, rows: readonly MatchedRow[], out: unknown[], used: number[] | null): void {
  const { layout } = group;
  const single = group.grouped ? null : layout.empty();
  const byKey = group.grouped ? new Map<string, BucketState>() : null;
  const { starts, bytes, offsets, order, keys } = run;
  let r = rows.length - 1;
  let p = run.count - 1;
  for (const i of plan.order) {
    const cut = plan.windows[i]!.cut;
    for (; r >= 0 && rows[r]!.ts >= cut; r--) {
      const { row, keys } = rows[r]!;
      const state = single ?? stateFor(byKey!, subKey(keys, group.keyIndex), group);
      layout.add(state, aggregatedValue(group.match, row), row);
    }
    for (; p >= 0; p--) {
      const b = order === null ? p : order[p]!;
      if (starts[b]! < cut) break;
      if (single !== null) layout.mergeEncoded(single, bytes, offsets[b]!, offsets[b + 1]!);
      else {
        const key = keys === null ? "" : subKey(keys[b]!, group.keyIndex);
        const into = byKey!.get(key);
        if (into === undefined) byKey!.set(key, layout.decode(bytes.subarray(offsets[b]!, offsets[b + 1]!)));
        else layout.mergeEncoded(into, bytes, offsets[b]!, offsets[b + 1]!);
      }
    }
    const { column, target } = group.windows[i]!;
    out[column] = single !== null ? finishOne(group, single, target.feature) : finishMap(group, byKey!, target.feature);
    if (used !== null) {
      used[2 * i] = run.count - 1 - p;
      used[2 * i + 1] = rows.length - 1 - r;
    }
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

/**
 * The group key without the entity's own key: one group-by value as it is, or several
 * joined by "|", a "|" or backslash inside a value escaped by a backslash, so that two
 * different keys never print alike (["a|b", "c"] is `a\|b|c`, ["a", "b|c"] is `a|b\|c`).
 */
export function subKey(keys: readonly string[], keyIndex: number): string {
  if (keys.length === 2) return keys[1 - keyIndex]!;
  return keys
    .filter((_, i) => i !== keyIndex)
    .map((part) => part.replace(/[\\|]/g, "\\$&"))
    .join("|");
}
