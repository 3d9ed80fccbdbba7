import type { BucketState, Row } from "../aggregate/types.js";
import { aggregatedValue } from "../series/row-match.js";
import type { BucketRun } from "../store/sqlite/bucket-runs.js";
import type { BoundGroup } from "./bind-windows.js";
import { subKey } from "./sub-key.js";
import type { GroupPlan } from "./plan-group.js";
import type { WindowPlan } from "./plan-window.js";

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
export function sweepGroup(group: BoundGroup, plan: GroupPlan, run: BucketRun, rows: readonly MatchedRow[], out: unknown[], statuses: ValueStatus[], used: number[] | null): void {
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
    const value = (out[column] = single !== null ? finishOne(group, single, target.feature) : finishMap(group, byKey!, target.feature));
    statuses[column] = statusOf(plan.windows[i]!, single !== null ? group.layout.rows(single) === 0 : byKey!.size === 0, value);
    if (used !== null) {
      used[2 * i] = run.count - 1 - p;
      used[2 * i + 1] = rows.length - 1 - r;
    }
  }
}

type Feature = BoundGroup["windows"][number]["target"]["feature"];

/**
 * How far a value can be trusted (SPEC 5.3): `partial` when part of the window was read
 * from nowhere, `overflow` when a sum left the range of a double, `default` when the
 * window held no rows, `row_log` when (part of) it was computed from the row log instead
 * of buckets, `present` otherwise.
 */
export type ValueStatus = "present" | "default" | "row_log" | "partial" | "overflow";

function statusOf(plan: WindowPlan, empty: boolean, value: unknown): ValueStatus {
  if (plan.uncovered !== null || plan.unlogged !== null) return "partial";
  if (notFinite(value)) return "overflow";
  if (empty) return "default";
  const fromLog = plan.history !== null || plan.mode === "row-log" || plan.mode === "unmaterialized" || (plan.size?.unfoldedTail === true && plan.rows !== null);
  return fromLog ? "row_log" : "present";
}

function notFinite(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  for (const v of Object.values(value)) if (typeof v === "number" && !Number.isFinite(v)) return true;
  return false;
}

/** A window with no rows gives the feature's default, else the aggregation's value on no rows. */
function finishOne(group: BoundGroup, state: BucketState, feature: Feature): unknown {
  if (feature.hasDefault && group.layout.rows(state) === 0) return feature.default;
  return group.layout.finish(state, feature.agg);
}

function finishMap(group: BoundGroup, byKey: Map<string, BucketState>, feature: Feature): unknown {
  if (byKey.size === 0 && feature.hasDefault) return feature.default;
  // No prototype: a group key "__proto__" is a key like any other, not the object's prototype.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of [...byKey.keys()].sort()) out[key] = group.layout.finish(byKey.get(key)!, feature.agg);
  return out;
}

function stateFor(byKey: Map<string, BucketState>, key: string, group: BoundGroup): BucketState {
  let state = byKey.get(key);
  if (state === undefined) byKey.set(key, (state = group.layout.empty()));
  return state;
}
