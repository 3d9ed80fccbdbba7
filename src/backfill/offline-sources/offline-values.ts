import type { NamespaceModel } from "../../project/model.js";

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A CSV record as a raw row for `normalizeRow`: cells are text, so numbers and booleans
 * are read by the namespace's declared types. An empty cell is missing (null), except
 * that a quoted empty cell ("") of a string feature is the empty string. A cell that does
 * not read as its type is passed on as text, so normalizeRow names the problem.
 */
export function csvRow(ns: NamespaceModel, cells: Readonly<Record<string, string | null>>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const scalar of ns.scalars) {
    const cell = cells[scalar.name];
    if (cell === undefined || cell === null || (cell === "" && scalar.kind !== "string")) continue;
    raw[scalar.name] = typed(scalar.kind, cell);
  }
  return raw;
}

function typed(kind: string, cell: string): unknown {
  const text = cell.trim();
  if ((kind === "int" || kind === "float") && NUMBER.test(text)) return Number(text);
  if (kind === "bool") {
    const lower = text.toLowerCase();
    if (lower === "true" || lower === "1") return true;
    if (lower === "false" || lower === "0") return false;
  }
  return cell;
}

/**
 * A row from a SQLite query as a raw row: SQLite has no boolean type (0/1 stand in) and
 * may hand a number to a text column; both are read by the declared type.
 */
export function sqliteRow(ns: NamespaceModel, values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const scalar of ns.scalars) {
    const value = values[scalar.name];
    if (value === undefined || value === null) continue;
    if (scalar.kind === "bool" && (value === 0 || value === 1)) raw[scalar.name] = value === 1;
    else if (scalar.kind === "string" && typeof value === "number") raw[scalar.name] = String(value);
    else raw[scalar.name] = value;
  }
  return raw;
}
