import { formatDuration } from "../time/duration.js";
import { formatInstant } from "../time/instant.js";
import { formatLocalTime } from "../time/zone-days.js";
import type { ValueExplain } from "./explain.js";
import type { Span } from "./span.js";

/**
 * The `--json --explain` form of one value's explain record: times as ISO-8601 strings,
 * durations as SPEC 1.5 text. Spans carry their bounds: `"(]"` is `(from, to]`, `"[]"`
 * is `[from, to]`, `"[)"` is `[from, to)`.
 */
export function explainJson(e: ValueExplain) {
  return {
    mode: e.mode,
    window: spanJson(e.window),
    bucket: e.bucketMs === null ? null : formatDuration(e.bucketMs),
    bucketStart: e.anchor === null ? null : formatInstant(e.anchor),
    ...(e.zone === null ? {} : { bucketTimeZone: e.zone }),
    continuousBuffer: e.continuousBufferMs === null ? null : formatDuration(e.continuousBufferMs),
    materializedThrough: e.materializedThrough === null ? null : formatInstant(e.materializedThrough),
    bucketRange: e.bucketRange === null ? null : { ...spanJson(e.bucketRange), ...(e.zone === null ? {} : { localFrom: formatLocalTime(e.bucketRange.from, e.zone), localTo: formatLocalTime(e.bucketRange.to, e.zone) }) },
    buckets: e.buckets.map((b) => ({
      start: formatInstant(b.start),
      end: formatInstant(b.end),
      ...(e.zone === null ? {} : { localStart: formatLocalTime(b.start, e.zone), localEnd: formatLocalTime(b.end, e.zone) }),
      rows: b.rows,
      ...(b.group === undefined ? {} : { group: b.group }),
    })),
    rowLog: e.rowLog === null ? null : { ...spanJson(e.rowLog.span), rows: e.rowLog.rows },
    history: e.history === null ? null : spanJson(e.history),
    uncovered: e.uncovered === null ? null : spanJson(e.uncovered),
    notes: e.notes,
    warnings: e.warnings,
  };
}

function spanJson(span: Span) {
  return { from: formatInstant(span.from), to: formatInstant(span.to), bounds: span.bounds };
}
