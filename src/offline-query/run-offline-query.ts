import type { Project } from "../project/model.js";
import { bindWindows, type BoundGroup } from "../query/bind-windows.js";
import { selectWindows, type SelectedWindow } from "../query/select-windows.js";
import type { ValueStatus } from "../query/sweep-group.js";
import type { SeriesDef } from "../series/derive.js";
import type { Db } from "../store/sqlite/open-store.js";
import { readSeries } from "../store/series-registry.js";
import { readSizeRecords } from "../store/size-state.js";
import { EntityRows, type RowSourceMode } from "./entity-rows.js";
import { Scratch, type PayloadCodec, type SortedEntry, type SpineEntry } from "./scratch.js";
import { PlanCache, sweepEntity, type SweepContext } from "./sweep-entity.js";
import { WarningTally, type TalliedWarning } from "./warning-tally.js";

/** `serving`: what `agg query --at T` serves; `exact`: the row log over exactly `(T - W, T]`. */
export type OfflineMode = "serving" | "exact";

export interface OfflineRunOptions {
  /** Feature names in any SPEC 1.5 form; a bare root means all its windows. */
  readonly names: readonly string[];
  readonly mode: OfflineMode;
  /** exact mode: `(T - W, T)`, so a row at T does not feed its own spine row. */
  readonly excludeAtTime: boolean;
  /** Where entities' row-log rows are read from (entity-rows.ts); tests force each way. */
  readonly rowSource?: RowSourceMode;
  readonly onProgress?: (progress: OfflineProgress) => void;
  /** How spine payloads are staged (scratch.ts); default v8, which keeps any plain data. */
  readonly payloadCodec?: PayloadCodec;
  /** Milliseconds for the summary's seconds; default performance.now. */
  readonly clock?: () => number;
}

export interface OfflineProgress {
  readonly phase: "reading" | "computing" | "writing";
  readonly rows: number;
  /** Spine rows in all; null while the spine is still being read. */
  readonly total: number | null;
}

/** One spine row with its values, in input order; `values` and `statuses` follow `columns`. */
export interface OfflineRow<P> {
  /** 0-based position among the spine rows given. */
  readonly index: number;
  readonly id: string;
  readonly at: number;
  readonly payload: P;
  readonly values: readonly unknown[];
  readonly statuses: readonly ValueStatus[];
}

export interface OfflineSummary {
  readonly rows: number;
  readonly entities: number;
  readonly features: number;
  readonly columns: readonly string[];
  readonly mode: OfflineMode;
  readonly excludeAtTime: boolean;
  readonly seconds: number;
  /** Spine rows with at least one value of that status. */
  readonly rowsWithDefault: number;
  readonly rowsWithPartial: number;
  readonly rowsWithOverflow: number;
  /** Per column: how many rows had each status. */
  readonly statuses: Readonly<Record<string, Partial<Record<ValueStatus, number>>>>;
  readonly warnings: readonly TalliedWarning[];
}

export interface OfflineRun<P> extends AsyncIterable<OfflineRow<P>> {
  /** Per-window FQNs, in the order the features were named. */
  readonly columns: readonly string[];
  /** Set once every row has been yielded. */
  readonly summary: OfflineSummary | null;
}

const DAY = 86_400_000;
/** Entries of one entity swept together at most (a spine of one entity stays bounded too). */
const BLOCK = 8192;

/**
 * Feature values at many (id, T) pairs: the spine is staged and sorted by (id, T) on disk
 * (scratch.ts), swept entity by entity in one read transaction of the store (one snapshot
 * for the whole training set), each entity's buckets and rows read once for all its times
 * (sweep-entity.ts), and the rows come back in input order. `db` is a connection of its
 * own for this run (it holds a read transaction and a scratch database); the caller
 * closes it. Unknown feature names throw here, before the spine is read.
 *
 * @example for await (const row of offlineQuery(db, project, defs, entries, { names: ["user.txn_sum"], mode: "serving", excludeAtTime: false })) row.values
 */
export function offlineQuery<P>(db: Db, project: Project, defs: readonly SeriesDef[], spine: AsyncIterable<SpineEntry<P>> | Iterable<SpineEntry<P>>, options: OfflineRunOptions): OfflineRun<P> {
  const selected = selectWindows(options.names, project);
  const columns = selected.map((t) => t.fqn);
  // exact: every window as a feature without materialization, which is the row log over (T - W, T].
  const targets: SelectedWindow[] = options.mode === "exact" ? selected.map((t) => ({ ...t, feature: { ...t.feature, materialization: null } })) : selected;
  const clock = options.clock ?? (() => performance.now());
  const progress = options.onProgress ?? (() => {});
  let summary: OfflineSummary | null = null;

  async function* rows(): AsyncGenerator<OfflineRow<P>> {
    const started = clock();
    const scratch = new Scratch(db, options.payloadCodec ?? "v8");
    for await (const entry of spine) {
      scratch.addEntry(entry);
      if (scratch.count % 10_000 === 0) progress({ phase: "reading", rows: scratch.count, total: null });
    }
    const total = scratch.count;
    const sorted = scratch.sort();
    const tally = new Tally(columns);
    db.exec("BEGIN");
    try {
      // The records are read inside the snapshot the buckets and rows are read from.
      const groups = bindWindows(targets, { project, defs, records: readSeries(db, defs), sizes: readSizeRecords(db) });
      const span = { from: sorted.minAt - reach(groups), to: sorted.maxAt + 1 };
      const ctx: SweepContext = {
        db,
        groups,
        rows: new EntityRows(db, span, options.rowSource ?? "auto"),
        plans: new PlanCache(),
        rowsEnd: options.mode === "exact" && options.excludeAtTime ? (at) => at : (at) => at + 1,
        warnings: tally.warnings,
      };
      let block: SortedEntry[] = [];
      let done = 0;
      let paused = clock();
      const flush = () => {
        if (block.length === 0) return;
        const values = block.map(() => new Array<unknown>(columns.length));
        const statuses = block.map(() => new Array<ValueStatus>(columns.length));
        sweepEntity(ctx, block[0]!.id, block.map((e) => e.at), values, statuses);
        block.forEach((e, k) => {
          scratch.addResult(e.index, values[k]!, statuses[k]!);
          tally.row(statuses[k]!);
        });
        done += block.length;
        block = [];
      };
      for (const page of scratch.sorted()) {
        for (const entry of page) {
          if (block.length > 0 && (block[0]!.id !== entry.id || block.length >= BLOCK)) flush();
          block.push(entry);
        }
        // Let the event loop breathe (progress, signals) without leaving the snapshot.
        if (clock() - paused > 50) {
          progress({ phase: "computing", rows: done, total });
          await new Promise((resolve) => setImmediate(resolve));
          paused = clock();
        }
      }
      flush();
      db.exec("COMMIT");
      scratch.sortResults();
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
    let written = 0;
    for (const page of scratch.results<P>()) {
      for (const row of page) yield row as OfflineRow<P>;
      written += page.length;
      progress({ phase: "writing", rows: written, total });
    }
    summary = { rows: total, entities: sorted.entities, features: columns.length, columns, mode: options.mode, excludeAtTime: options.excludeAtTime, seconds: (clock() - started) / 1000, ...tally.summary() };
  }

  return {
    columns,
    get summary() {
      return summary;
    },
    [Symbol.asyncIterator]: () => rows(),
  };
}

/** How far before the earliest spine time any plan reads: the longest window and two buckets, with a day to spare. */
function reach(groups: readonly BoundGroup[]): number {
  let most = 0;
  for (const g of groups) for (const w of g.windows) most = Math.max(most, w.target.windowMs + 2 * g.bucketMs);
  return most + DAY;
}

class Tally {
  readonly warnings = new WarningTally();
  private readonly counts: Partial<Record<ValueStatus, number>>[];
  private withDefault = 0;
  private withPartial = 0;
  private withOverflow = 0;

  constructor(private readonly columns: readonly string[]) {
    this.counts = columns.map(() => ({}));
  }

  row(statuses: readonly ValueStatus[]): void {
    let d = false;
    let p = false;
    let o = false;
    statuses.forEach((s, c) => {
      const counts = this.counts[c]!;
      counts[s] = (counts[s] ?? 0) + 1;
      d ||= s === "default";
      p ||= s === "partial";
      o ||= s === "overflow";
    });
    if (d) this.withDefault++;
    if (p) this.withPartial++;
    if (o) this.withOverflow++;
  }

  summary() {
    return {
      rowsWithDefault: this.withDefault,
      rowsWithPartial: this.withPartial,
      rowsWithOverflow: this.withOverflow,
      statuses: Object.fromEntries(this.columns.map((c, i) => [c, this.counts[i]!])),
      warnings: this.warnings.list(),
    };
  }
}
