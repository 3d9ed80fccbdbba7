import { createReadStream } from "node:fs";
import { readCsv } from "../ingest/read-csv.js";
import { DEFAULT_LIMITS, type InputLimits } from "../ingest/input-limits.js";
import { readNdjson } from "../ingest/read-ndjson.js";
import { readParquetSpine } from "./read-parquet-spine.js";
import type { TableFormat } from "./spine-format.js";
import type { SpineReader, SpineRecord } from "./spine-reader.js";

export type { SpineReader, SpineRecord } from "./spine-reader.js";

/**
 * Reads a spine file as records. CSV and NDJSON go through ingest's readers (same line
 * numbers, UTF-8 checks and size limits); CSV cells are text. Parquet is read one row
 * group at a time (hyparquet): timestamps come as Dates, INT64 as bigints.
 */
export function readSpine(path: string, format: TableFormat, limits: Pick<InputLimits, "maxRecordBytes" | "maxColumns"> = DEFAULT_LIMITS): SpineReader {
  if (format === "parquet") return readParquetSpine(path);
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  const messages = format === "csv" ? readCsv(input, limits) : readNdjson(input, limits);
  async function* records(): AsyncGenerator<SpineRecord> {
    for await (const m of messages) {
      if ("error" in m) yield { line: m.line, error: m.error };
      else if (m.value === null || typeof m.value !== "object" || Array.isArray(m.value)) yield { line: m.line, error: `expected a JSON object, got ${Array.isArray(m.value) ? "an array" : m.value === null ? "null" : typeof m.value}` };
      else yield { line: m.line, cells: m.value as Record<string, unknown> };
    }
  }
  return { unit: "line", schema: async () => null, records: records() };
}
