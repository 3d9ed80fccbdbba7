import { AggError } from "../errors.js";
import type { OfflineMode, OfflineProgress, OfflineSummary } from "../offline-query/run-offline-query.js";
import type { RowSourceMode } from "../offline-query/entity-rows.js";
import type { PayloadCodec, SpineEntry } from "../offline-query/scratch.js";
import type { Project } from "../project/model.js";
import { selectWindows } from "../query/select-windows.js";
import type { SeriesDef } from "../series/derive.js";
import type { Db } from "../store/sqlite/open-store.js";
import type { StatusesOf, ValuesOf } from "./feature-types.js";
import { instantMs, type Instant } from "./to-instant.js";

/** One spine row: an entity id and a time; any other properties come back with its values. */
export interface SpineRow {
  readonly id: string;
  /** A Date, epoch milliseconds, or an ISO-8601 string. */
  readonly at: Instant;
}

export interface OfflineQueryOptions<F extends string, S extends SpineRow> {
  readonly features: readonly F[];
  /** Any iterable or async iterable of rows (an array, a generator, a stream of parsed lines). */
  readonly spine: Iterable<S> | AsyncIterable<S>;
  /** `serving` (default): what `query` serves at each T; `exact`: the row log over exactly `(T - W, T]`. */
  readonly mode?: OfflineMode;
  /** exact mode only: `(T - W, T)`, so an event does not feed the features of its own label row. */
  readonly excludeAtTime?: boolean;
  readonly onProgress?: (progress: OfflineProgress) => void;
  /** @internal where entity rows are read from; tests force each way. */
  readonly rowSource?: RowSourceMode;
  /** @internal "json" when every spine row is plain JSON data (the CLI's CSV and NDJSON spines): cheaper to stage. */
  readonly payloadCodec?: PayloadCodec;
}

/** One spine row with its values, in spine order. */
export interface OfflineQueryRow<P, F extends string, S> {
  /** 0-based position in the spine. */
  readonly index: number;
  readonly id: string;
  readonly at: Date;
  readonly values: ValuesOf<P, F>;
  readonly status: StatusesOf<P, F>;
  /** The spine row as given (a structured clone: plain data survives, class instances become plain objects). */
  readonly spine: S;
}

/** An async iterable of rows; `summary` is set once the last row has been read. */
export interface OfflineQuery<P, F extends string, S> extends AsyncIterable<OfflineQueryRow<P, F, S>> {
  readonly columns: readonly string[];
  readonly summary: OfflineSummary | null;
}

/**
 * The offline query over a connection of its own (opened when iteration starts, closed
 * when it ends or stops early): it holds one read snapshot for the whole spine, apart
 * from the connection `query` uses.
 */
export function spineRows<P, F extends string, S extends SpineRow>(open: () => Db, project: Project, defs: readonly SeriesDef[], query: OfflineQueryOptions<F, S>): OfflineQuery<P, F, S> {
  if (query.mode !== undefined && query.mode !== "serving" && query.mode !== "exact") throw new AggError("usage", `mode: "${String(query.mode)}" is not a mode`, { hint: 'use "serving" (the default) or "exact"' });
  if (query.excludeAtTime === true && query.mode !== "exact") throw new AggError("usage", "excludeAtTime needs mode: \"exact\"", { hint: "serving mode answers as agg query --at T does, rows at T included" });
  let summary: OfflineSummary | null = null;
  // Unknown names fail here, before the spine is read.
  const columns = selectWindows(query.features, project).map((t) => t.fqn);
  const options = { names: query.features, mode: query.mode ?? "serving", excludeAtTime: query.excludeAtTime === true, ...(query.onProgress ? { onProgress: query.onProgress } : {}), ...(query.rowSource ? { rowSource: query.rowSource } : {}), ...(query.payloadCodec ? { payloadCodec: query.payloadCodec } : {}) };
  async function* rows(): AsyncGenerator<OfflineQueryRow<P, F, S>> {
    // Here, not at the top: `agg query` and `store.query` never load the offline sweep.
    const { offlineQuery } = await import("../offline-query/run-offline-query.js");
    const db = open();
    try {
      const run = offlineQuery(db, project, defs, entries(query.spine), options);
      for await (const row of run) {
        const values: Record<string, unknown> = {};
        const status: Record<string, string> = {};
        for (let c = 0; c < columns.length; c++) {
          values[columns[c]!] = row.values[c];
          status[columns[c]!] = row.statuses[c]!;
        }
        yield { index: row.index, id: row.id, at: new Date(row.at), values, status, spine: row.payload } as never;
      }
      summary = run.summary;
    } finally {
      db.close();
    }
  }
  return {
    columns,
    get summary() {
      return summary;
    },
    [Symbol.asyncIterator]: () => rows(),
  };
}

/** Spine rows checked and turned into entries; a bad one stops the query, naming its index. */
async function* entries<S extends SpineRow>(spine: Iterable<S> | AsyncIterable<S>): AsyncGenerator<SpineEntry<S>> {
  let index = 0;
  for await (const row of spine) {
    const id = typeof row?.id === "number" ? String(row.id) : row?.id;
    if (typeof id !== "string" || id === "") throw bad(index, `no id (got ${JSON.stringify(row?.id) ?? "undefined"})`);
    const at = instantMs(row.at);
    if (typeof at === "string") throw bad(index, `at: ${at}`);
    yield { id, at, payload: row };
    index++;
  }
}

function bad(index: number, reason: string): AggError {
  return new AggError("input", `spine row ${index}: ${reason}`, { hint: "give every spine row an id (a non-empty string) and an at (a Date, epoch milliseconds or an ISO-8601 string)", meta: { index } });
}
