import { extname } from "node:path";

/** The file formats a spine is read from and a training set written to. */
export type TableFormat = "csv" | "ndjson" | "parquet";

export const TABLE_FORMATS: readonly TableFormat[] = ["csv", "ndjson", "parquet"];

const BY_EXTENSION: Readonly<Record<string, TableFormat>> = { ".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "ndjson", ".parquet": "parquet", ".pq": "parquet" };

/** The format a file name says (`.csv`, `.ndjson` / `.jsonl` / `.json`, `.parquet` / `.pq`), or null. */
export function formatOfPath(path: string): TableFormat | null {
  return BY_EXTENSION[extname(path).toLowerCase()] ?? null;
}
