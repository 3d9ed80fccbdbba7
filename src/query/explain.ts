import type { BucketRun } from "../store/sqlite/bucket-runs.js";
import { formatDuration } from "../time/duration.js";
import { formatInstant } from "../time/instant.js";
import type { BoundGroup } from "./bind-windows.js";
import type { PlanMode, WindowPlan } from "./plan-window.js";
import { formatSpan, type Span } from "./span.js";
import { subKey } from "./sub-key.js";

/** What `--explain` shows for one value. Times are epoch ms; the CLI formats them. */
export interface ValueExplain {
  readonly mode: PlanMode;
  /** `(T - W, T]` */
  readonly window: Span;
  /** null when not materialized. */
  readonly bucketMs: number | null;
  readonly anchor: number | null;
  /** The zone whose local dates the buckets follow (whole-day sizes with bucketTimeZone); null otherwise. */
  readonly zone: string | null;
  readonly continuousBufferMs: number | null;
  readonly materializedThrough: number | null;
  /** The bucket slots the plan reads, `[first start, last end)`; stored buckets are listed below. */
  readonly bucketRange: Span | null;
  readonly buckets: readonly BucketUse[];
  readonly rowLog: { readonly span: Span; readonly rows: number } | null;
  /** Older bucket slots computed from the row log in place of buckets (their rows are counted in `rowLog.rows` when both are read). */
  readonly history: Span | null;
  /** The part of the window covered by neither buckets nor the row log. */
  readonly uncovered: Span | null;
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
}

export interface BucketUse {
  readonly start: number;
  readonly end: number;
  readonly rows: number;
  /** groupByWindowed: the group key the bucket holds. */
  readonly group?: string;
}

/** The explain record of one window for one entity, which merged the newest `bucketsUsed` buckets of `run`. */
export function explainValue(group: BoundGroup, plan: WindowPlan, fqn: string, run: BucketRun, bucketsUsed: number, rowsUsed: number): ValueExplain {
  const materialized = group.kind === "buckets";
  const buckets: BucketUse[] = [];
  for (let p = run.count - bucketsUsed; p < run.count; p++) {
    const b = run.order === null ? p : run.order[p]!;
    const start = run.starts[b]!;
    const rows = group.layout.rows(group.layout.decode(run.bytes.subarray(run.offsets[b], run.offsets[b + 1])));
    const use = { start, end: group.grid === null ? start + group.bucketMs : group.grid.end(start), rows };
    buckets.push(group.grouped ? { ...use, group: run.keys === null ? "" : subKey(run.keys[b]!, group.keyIndex) } : use);
  }
  return {
    mode: plan.mode,
    window: plan.window,
    bucketMs: materialized ? group.bucketMs : null,
    anchor: materialized ? group.anchor : null,
    zone: group.grid?.zone ?? null,
    continuousBufferMs: group.bufferMs,
    materializedThrough: group.materializedThrough,
    bucketRange: plan.buckets,
    buckets,
    rowLog: plan.rows === null && plan.history === null ? null : { span: plan.rows ?? plan.history!, rows: rowsUsed },
    history: plan.history,
    uncovered: plan.uncovered,
    notes: [...group.notes, ...modeNotes(group, plan)],
    warnings: windowWarnings(group, plan, fqn),
  };
}

function modeNotes(group: BoundGroup, plan: WindowPlan): string[] {
  const through = group.materializedThrough === null ? "" : formatInstant(group.materializedThrough);
  const out: string[] = [];
  if (plan.history !== null) out.push(`${formatSpan(plan.history)} computed from the row log: its buckets cannot be read as they are`);
  const size = plan.size;
  if (size !== null && size.newestEvent !== null && size.at < size.newestEvent && plan.mode === "buckets") {
    out.push("as of T: the bucket holding T also holds later rows, so it is read from the row log up to T");
  }
  switch (plan.mode) {
    case "unmaterialized":
      out.push("nothing was ever folded into these buckets: every bucket slot is computed from the row log");
      break;
    case "buffer":
      out.push(
        size!.rowsFrom === null
          ? `materialized through ${through}, after T: buckets only`
          : `materialized through ${through}, within the continuous buffer of ${formatDuration(group.bufferMs!)}: the bucket holding it and everything after come from the row log`,
      );
      break;
    case "buffer-gap":
      out.push(`materialized through ${through}, more than the continuous buffer of ${formatDuration(group.bufferMs!)} before T: buckets ending by then, plus the row log over the buffer`);
      break;
    default:
  }
  return out;
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Plain warnings: a span neither buckets nor the row log cover (SPEC 5.3, buffer case 2),
 * and spans read from the row log because a backfill is missing (slower, still exact):
 * history, or the newest rows a resolver logged without updating the buckets.
 */
export function windowWarnings(group: BoundGroup, plan: WindowPlan, fqn: string): readonly string[] {
  const history = plan.history !== null && group.historyReason !== null;
  const unfolded = plan.size?.unfoldedTail === true && plan.rows !== null;
  if (plan.uncovered === null && !history && !unfolded && plan.unlogged === null) return NONE;
  const out: string[] = [];
  const root = fqn.replace(/__[a-z0-9]+__$/, "");
  if (plan.uncovered !== null) {
    out.push(
      `${fqn}: no data was read for ${formatSpan(plan.uncovered)}: the buckets stop at the series' materialized-through time ${formatInstant(group.materializedThrough!)} and the row log covers only the last ${formatDuration(group.bufferMs!)}; run \`agg backfill --feature ${root}\` or lengthen continuousBufferDuration`,
    );
  }
  if (unfolded) {
    out.push(
      `${fqn}: computed from the row log for ${formatSpan(plan.rows!)}: rows from ${formatInstant(group.unfoldedFrom!)} on were logged without updating the buckets (a resolver with updatesMaterializedAggregations: false); \`agg backfill --feature ${root}\` folds them`,
    );
  }
  if (plan.unlogged !== null) {
    out.push(
      `${fqn}: partial for ${formatSpan(plan.unlogged)}: that span is read from the row log, which does not hold the rows an offline source backfilled there (their buckets were dropped by retention, or it is the bucket holding a past T, read up to T); for history, keep the buckets longer with materialization.retention and backfill from that source again`,
    );
  }
  if (history) out.push(`${fqn}: computed from the row log for ${formatSpan(plan.history!)}: ${group.historyReason}`);
  return out;
}
