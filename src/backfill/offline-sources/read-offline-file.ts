import { createReadStream } from "node:fs";
import { AggError, isAggError } from "../../errors.js";
import type { InputMessage } from "../../ingest/input-message.js";
import { readCsv } from "../../ingest/read-csv.js";
import { readNdjson } from "../../ingest/read-ndjson.js";
import type { NamespaceModel } from "../../project/model.js";
import { csvRow } from "./offline-values.js";
import { message, type SourceRecord } from "./source-record.js";

/** NDJSON or CSV rows, streamed with ingest's readers (the same parsing and line numbers). */
export async function* fileRecords(kind: "csv" | "ndjson", path: string, ns: NamespaceModel, subject: string): AsyncGenerator<SourceRecord> {
  const messages: AsyncGenerator<InputMessage> = kind === "csv" ? readCsv(createReadStream(path)) : readNdjson(createReadStream(path));
  try {
    for await (const message of messages) {
      const where = `line ${message.line}`;
      if ("error" in message) yield { where, error: message.error };
      else yield { where, raw: kind === "csv" ? csvRow(ns, message.value as Record<string, string | null>) : message.value };
    }
  } catch (error) {
    // The readers' own errors (a bad CSV header, an unreadable file) do not name the source.
    if (isAggError(error)) throw new AggError(error.code, `${subject}: ${error.message}`, { ...(error.hint && { hint: error.hint }), meta: error.meta });
    throw new AggError("input", `${subject}: cannot read it (${message(error)})`, { hint: "check the file and its permissions; no bucket was changed" });
  }
}
