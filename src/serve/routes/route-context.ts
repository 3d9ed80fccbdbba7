import type { ValueStatus } from "../../query/sweep-group.js";
import { HttpError } from "../http-error.js";
import type { ServeLimits } from "../limits.js";
import type { ServedProject } from "../served-project.js";

/** What every route reads: the project now served (swapped whole by a reload), the clock, the bounds. */
export interface RouteContext {
  readonly served: () => ServedProject;
  readonly now: () => number;
  readonly limits: ServeLimits;
}

/** A value's problem, for Chalk's per-field `error`: set for `partial` and `overflow`, with the warning that names the field. */
export function fieldError(fqn: string, status: ValueStatus, warnings: readonly string[]): { code: string; message: string } | null {
  if (status !== "partial" && status !== "overflow") return null;
  const warning = warnings.find((w) => w.startsWith(`${fqn}:`)) ?? warnings.find((w) => w.includes(fqn));
  return { code: status, message: warning ?? (status === "partial" ? "part of the window is covered by no source (explain: true shows the span)" : "the sum left the range of a double; the value is null") };
}

/** Warnings of several reads, each once, in order. */
export function uniqueWarnings(lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}

/** A 400 for more ids in one request than the server allows, or more values than one response may hold. */
export function checkSize(rows: number, windows: number, limits: ServeLimits): void {
  if (rows > limits.maxIds) throw new HttpError(400, "too_many_ids", `${rows} ids in one request; this server answers at most ${limits.maxIds}`, "split the request, or start agg serve with a larger --max-ids");
  if (rows * windows > limits.maxValues) {
    throw new HttpError(400, "too_many_values", `${rows} rows x ${windows} windows is ${rows * windows} values; one response holds at most ${limits.maxValues}`, "ask for fewer windows or fewer ids per request");
  }
}
