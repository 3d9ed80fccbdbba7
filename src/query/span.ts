import { formatInstant } from "../time/instant.js";

/**
 * A span of time as the SPEC writes it: a window is `(T - W, T]`, a bucket `[s, e)`, the
 * row-log part of the continuous buffer `(T - C, T]` or `[s, T]`. Times are epoch ms.
 */
export interface Span {
  readonly from: number;
  readonly to: number;
  readonly bounds: "(]" | "[]" | "[)";
}

/** The first millisecond inside the span. */
export function firstMs(span: Span): number {
  return span.bounds === "(]" ? span.from + 1 : span.from;
}

/** The last millisecond inside the span. */
export function lastMs(span: Span): number {
  return span.bounds === "[)" ? span.to - 1 : span.to;
}

/** The closed span `[from, to]`, or null when it holds no millisecond. */
export function closedSpan(from: number, to: number): Span | null {
  return from <= to ? { from, to, bounds: "[]" } : null;
}

/** `(2024-03-01T00:00:00Z, 2024-03-02T00:00:00Z]` */
export function formatSpan(span: Span): string {
  return `${span.bounds[0]}${formatInstant(span.from)}, ${formatInstant(span.to)}${span.bounds[1]}`;
}
