import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type { SpineReader, SpineRecord } from "./spine-reader.js";

/**
 * A Parquet spine, one row group at a time: memory is bounded by the largest row group.
 * hyparquet reads uncompressed and Snappy pages itself; hyparquet-compressors adds the
 * other codecs writers use (ZSTD, GZIP, Brotli, LZ4).
 */
export function readParquetSpine(path: string): SpineReader {
  const opened = (async () => {
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    return { file, metadata, columns: parquetSchema(metadata).children.map((c) => c.element.name) };
  })();
  async function* records(): AsyncGenerator<SpineRecord> {
    const { file, metadata, columns } = await opened;
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, compressors });
      for (let i = 0; i < rows.length; i++) {
        const source = rows[i]!;
        // The schema's order, without a prototype (a column "__proto__" is a column like any other).
        const cells: Record<string, unknown> = Object.create(null);
        for (const name of columns) cells[name] = source[name] ?? null;
        yield { line: start + i + 1, cells };
      }
      start = end;
    }
  }
  return { unit: "row", schema: async () => (await opened).columns, records: records() };
}
