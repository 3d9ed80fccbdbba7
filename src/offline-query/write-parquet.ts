import { ByteWriter, ParquetWriter, type SchemaElement } from "hyparquet-writer";
import { fileWriter } from "hyparquet-writer";
import type { ColumnKind } from "./column-kinds.js";
import { jsonReplacer, type OutputColumn, type TableTarget, type TableWriter } from "./table-output.js";

/** Rows per row group: a reader holds one at a time, and so does this writer. */
const ROW_GROUP = 100_000;

/**
 * Parquet through hyparquet-writer, one row group at a time (memory is bounded by a row
 * group, not the file). Every column is OPTIONAL. Spine columns keep their kind: text
 * UTF8, integers INT32, other numbers DOUBLE, bigints INT64, Dates TIMESTAMP_MILLIS,
 * booleans BOOLEAN, mixed values and objects their JSON text. Feature windows are DOUBLE
 * (an overflowed sum is null, as in JSON), group-by and list values their JSON text.
 */
export function writeParquet(target: TableTarget, spineColumns: readonly OutputColumn[], featureColumns: readonly OutputColumn[]): TableWriter {
  const columns = [...spineColumns, ...featureColumns];
  const schema: SchemaElement[] = [{ name: "root", num_children: columns.length }, ...columns.map((c) => element(c.name, c.kind))];
  const bytes = "path" in target ? fileWriter(target.path) : new ByteWriter();
  const writer = new ParquetWriter({ writer: bytes, schema, createdBy: "agg offline-query" });
  const spineCount = spineColumns.length;
  let data = columns.map((): unknown[] => []);
  let rows = 0;
  const flush = async () => {
    if (rows === 0) return;
    await writer.write({ columnData: columns.map((c, i) => ({ name: c.name, data: data[i]! as never })), rowGroupSize: ROW_GROUP });
    data = columns.map(() => []);
    rows = 0;
  };
  return {
    async write(spine, values) {
      for (let i = 0; i < spineCount; i++) data[i]!.push(cell(spine[spineColumns[i]!.name], spineColumns[i]!.kind));
      for (let i = 0; i < featureColumns.length; i++) data[spineCount + i]!.push(cell(values[i], featureColumns[i]!.kind));
      if (++rows >= ROW_GROUP) await flush();
    },
    async finish() {
      await flush();
      await writer.finish();
      if (!("path" in target)) target.write((bytes as ByteWriter).getBytes());
    },
  };
}

function element(name: string, kind: ColumnKind): SchemaElement {
  const optional = { name, repetition_type: "OPTIONAL" as const };
  switch (kind) {
    case "integer":
      return { ...optional, type: "INT32" };
    case "number":
      return { ...optional, type: "DOUBLE" };
    case "boolean":
      return { ...optional, type: "BOOLEAN" };
    case "bigint":
      return { ...optional, type: "INT64" };
    case "date":
      return { ...optional, type: "INT64", converted_type: "TIMESTAMP_MILLIS" };
    default:
      return { ...optional, type: "BYTE_ARRAY", converted_type: "UTF8" };
  }
}

function cell(value: unknown, kind: ColumnKind): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case "integer":
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? value : null;
    case "boolean":
    case "bigint":
    case "date":
      return value;
    case "string":
      return typeof value === "string" ? value : JSON.stringify(value, jsonReplacer);
    default:
      return typeof value === "string" && kind === "null" ? value : JSON.stringify(value, jsonReplacer);
  }
}
