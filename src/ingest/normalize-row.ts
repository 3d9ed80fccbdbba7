import type { Row, Scalar } from "../aggregate/types.js";
import type { NamespaceModel } from "../project/model.js";
import { parseEventTime, type EpochUnit } from "../time/instant.js";

/** A row ready for the row log: typed values, key, event time, canonical JSON. */
export interface NormalizedRow {
  readonly row: Row;
  readonly pk: string;
  readonly ts: number;
  /** Canonical content: values in declaration order, so equal rows have equal text. */
  readonly data: string;
}

/**
 * Checks a resolved row against its namespace and puts it in canonical form: every
 * declared scalar present (optional ones may be null or absent), numbers finite, ints
 * whole, datetimes as epoch ms. Unknown fields are dropped. Returns a reason on failure.
 */
export function normalizeRow(ns: NamespaceModel, raw: unknown): NormalizedRow | { readonly error: string; readonly field?: string } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { error: `the resolver returned ${describe(raw)}, not a row object` };
  const input = raw as Record<string, unknown>;
  const row: Record<string, Scalar> = {};
  for (const scalar of ns.scalars) {
    const value = input[scalar.name];
    if (value === undefined || value === null) {
      if (!scalar.optional) return { error: `${ns.name}.${scalar.name} is ${value === null ? "null" : "missing"} but not optional`, field: scalar.name };
      row[scalar.name] = null;
      continue;
    }
    const typed = coerce(scalar.kind, value, scalar.epochUnit);
    if (typeof typed === "object" && typed !== null) return { error: `${ns.name}.${scalar.name}: ${typed.error}`, field: scalar.name };
    row[scalar.name] = typed;
  }
  const pk = row[ns.primaryKey!];
  const ts = row[ns.featureTime!];
  if (pk === null || pk === undefined || pk === "") return { error: `the primary key ${ns.name}.${ns.primaryKey} is empty`, field: ns.primaryKey! };
  return { row, pk: String(pk), ts: ts as number, data: JSON.stringify(row) };
}

/** A UTF-16 code unit of a surrogate pair that has no partner (`u` mode reads pairs as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

function coerce(kind: string, value: unknown, unit: EpochUnit): Scalar | { error: string } {
  switch (kind) {
    case "string": {
      if (typeof value !== "string") return { error: `expected a string, got ${describe(value)}` };
      // SQLite stores UTF-8, which has no form for a lone surrogate: "\ud800" and "\ud801" would read back alike.
      const lone = LONE_SURROGATE.exec(value);
      if (lone === null) return value;
      return { error: `not well-formed Unicode: a lone surrogate U+${value.charCodeAt(lone.index).toString(16).toUpperCase()} at character ${lone.index + 1} (UTF-8 text has no form for it)` };
    }
    case "bool":
      return typeof value === "boolean" ? value : { error: `expected a boolean, got ${describe(value)}` };
    case "int":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) return { error: `expected a whole number, got ${describe(value)}` };
      return Object.is(value, -0) ? 0 : value;
    case "float":
      if (typeof value !== "number" || !Number.isFinite(value)) return { error: `expected a finite number, got ${describe(value)}` };
      return Object.is(value, -0) ? 0 : value;
    case "datetime": {
      const ms = parseEventTime(value, unit);
      return typeof ms === "string" ? { error: ms } : ms;
    }
    default:
      return { error: `unsupported type ${kind}` };
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a Date";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
