import { AggError, isAggError } from "../errors.js";
import type { NamespaceModel, StreamModel } from "../project/model.js";
import type { InputMessage } from "./input-message.js";
import { normalizeRow, type NormalizedRow } from "./normalize-row.js";
import { validateMessage } from "./validate-message.js";

/** What one message becomes: a row for the log, nothing (the resolver skipped it), or a rejection. */
export type Prepared =
  | { readonly kind: "row"; readonly row: NormalizedRow }
  | { readonly kind: "skip" }
  | { readonly kind: "reject"; readonly reason: string; readonly resolverFault?: string };

/**
 * Validate -> resolve -> normalize, for one message. Everything a message can do wrong is
 * a rejection with a reason; a resolver or schema that can never work (async) is a
 * project error, since every message would fail the same way.
 */
export function prepareMessage(stream: StreamModel, ns: NamespaceModel, message: InputMessage): Prepared {
  if ("error" in message) return { kind: "reject", reason: message.error };
  const validated = validateMessage(stream.message, message, stream.source, stream.where);
  if ("reason" in validated) return { kind: "reject", reason: validated.reason };
  let resolved: unknown;
  try {
    resolved = stream.resolve(validated.value);
  } catch (error) {
    return { kind: "reject", reason: `the resolver of "${stream.source}" threw: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (resolved === null) return { kind: "skip" };
  let row: ReturnType<typeof normalizeRow>;
  try {
    if (typeof (resolved as { then?: unknown } | undefined)?.then === "function") {
      throw new AggError("project", `${stream.where}: the resolver of stream "${stream.source}" returned a Promise`, {
        hint: `resolve must return a row of ${ns.name} (or null) synchronously`,
      });
    }
    row = normalizeRow(ns, resolved);
  } catch (error) {
    if (isAggError(error)) throw error;
    // The row is user code too: a getter that throws, a Date that is not one.
    return { kind: "reject", reason: `the row the resolver of "${stream.source}" returned cannot be read: ${error instanceof Error ? error.message : String(error)}` };
  }
  if ("error" in row) {
    // A value the message carried as it is, or no row object at all, decides whose fault it is:
    // a field passed through unchanged is the input's; one the resolver made up is the resolver's.
    if (row.field !== undefined && passedThrough(validated.value, resolved, row.field)) return { kind: "reject", reason: row.error };
    const reason = row.field === undefined ? `${row.error} (the resolver of "${stream.source}" at ${stream.where})` : `the resolver of "${stream.source}" (${stream.where}) returned a row ${ns.name} does not accept: ${row.error}`;
    return { kind: "reject", reason, resolverFault: stream.where };
  }
  return { kind: "row", row };
}

/** Whether the resolver's row holds the message's own value of `field` (same name, same value). */
function passedThrough(message: unknown, row: unknown, field: string): boolean {
  if (typeof message !== "object" || message === null || typeof row !== "object" || row === null) return false;
  const value = (row as Record<string, unknown>)[field];
  return Object.values(message as Record<string, unknown>).some((v) => Object.is(v, value)) || (value === undefined && !(field in row));
}
