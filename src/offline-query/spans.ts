/** A range of times; what `from` and `to` include is up to the caller (both merge the same way). */
export interface TimeSpan {
  readonly from: number;
  readonly to: number;
}

/**
 * Sorts spans and merges those that overlap or lie within `gap` of each other (`gap` 0:
 * half-open spans that touch; a bucket size: inclusive bucket-start ranges that are
 * adjacent), so each merged span is read once.
 */
export function mergeSpans(spans: readonly TimeSpan[], gap: number): TimeSpan[] {
  const sorted = [...spans].sort((a, b) => a.from - b.from || a.to - b.to);
  const out: { from: number; to: number }[] = [];
  for (const span of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && span.from <= last.to + gap) last.to = Math.max(last.to, span.to);
    else out.push({ from: span.from, to: span.to });
  }
  return out;
}
