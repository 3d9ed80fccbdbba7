/**
 * One message read from the input, before validation: where it starts, its raw text (for
 * the dead-letter file) and its parsed value, or why it could not be read at all.
 */
export type InputMessage =
  | { readonly line: number; readonly raw: string; readonly value: unknown; readonly cells?: boolean }
  | { readonly line: number; readonly raw: string; readonly error: string };

/** The formats `agg ingest --format` reads. */
export type InputFormat = "ndjson" | "csv";
