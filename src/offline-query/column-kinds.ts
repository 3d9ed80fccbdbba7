/** What a column's values are, for typing a Parquet output column. */
export type ColumnKind = "null" | "string" | "integer" | "number" | "boolean" | "bigint" | "date" | "json";

/**
 * The spine's columns in first-seen order (a CSV header's, a Parquet schema's, or every
 * NDJSON key as it first appears) with the one kind their values share; values of mixed
 * kinds, objects and arrays make a JSON text column.
 */
export class ColumnKinds {
  private readonly kinds = new Map<string, ColumnKind>();

  declare(names: readonly string[]): void {
    for (const name of names) if (!this.kinds.has(name)) this.kinds.set(name, "null");
  }

  see(cells: Readonly<Record<string, unknown>>): void {
    for (const name in cells) {
      const was = this.kinds.get(name) ?? "null";
      const kind = kindOf(cells[name]);
      this.kinds.set(name, was === kind || kind === "null" ? was : was === "null" ? kind : merge(was, kind));
    }
  }

  get names(): string[] {
    return [...this.kinds.keys()];
  }

  kind(name: string): ColumnKind {
    return this.kinds.get(name) ?? "null";
  }
}

function merge(a: ColumnKind, b: ColumnKind): ColumnKind {
  if ((a === "integer" && b === "number") || (a === "number" && b === "integer")) return "number";
  return "json";
}

function kindOf(value: unknown): ColumnKind {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return "string";
  if (typeof value === "number") return Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1 ? "integer" : "number";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "bigint") return "bigint";
  if (value instanceof Date) return "date";
  return "json";
}
