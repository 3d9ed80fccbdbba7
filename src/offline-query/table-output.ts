import type { ColumnKind } from "./column-kinds.js";

/** An output column: a spine column (its kind as read) or a feature window (`number`, or `json` for group-by and list values). */
export interface OutputColumn {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** Where a training set goes: a file, or a function that takes each chunk (stdout). */
export type TableTarget = { readonly path: string } | { readonly write: (chunk: string | Uint8Array) => void };

/** Writes rows: a spine row's cells (by column name) and its feature values (in feature-column order). */
export interface TableWriter {
  write(spine: Readonly<Record<string, unknown>>, values: readonly unknown[]): Promise<void> | void;
  finish(): Promise<void>;
}

/** JSON for values JSON has no form of: a bigint as a number (or its digits, beyond 2^53), bytes as base64. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return value;
}
