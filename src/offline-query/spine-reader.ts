/**
 * One spine record: where it is (a line for CSV and NDJSON, a row for Parquet), its cells
 * by column in the input's order, or why it could not be read.
 */
export type SpineRecord =
  | { readonly line: number; readonly cells: Readonly<Record<string, unknown>> }
  | { readonly line: number; readonly error: string };

export interface SpineReader {
  /** "line" for text formats, "row" for Parquet: how a record's place is named. */
  readonly unit: "line" | "row";
  /** Columns known before the first record (a Parquet schema); null for text formats. */
  readonly schema: () => Promise<readonly string[] | null>;
  readonly records: AsyncIterable<SpineRecord>;
}
