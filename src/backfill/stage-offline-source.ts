import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { AggError } from "../errors.js";
import { normalizeRow } from "../ingest/normalize-row.js";
import type { OfflineSourceModel, Project } from "../project/model.js";
import { formatSite } from "../project/problem.js";
import type { Db } from "../store/sqlite/open-store.js";
import type { LoggedRow } from "../store/sqlite/row-log.js";
import { StagedRows } from "../store/sqlite/staged-rows.js";
import { fileRecords } from "./offline-sources/read-offline-file.js";
import { sqliteRecords } from "./offline-sources/read-offline-sqlite.js";
import type { RowSource } from "./row-source.js";

const BATCH = 5_000;

/**
 * Reads an offline source once, checks every row against its namespace (the same
 * `normalizeRow` ingest uses) and stages it for the backfill. A bad row stops here, before
 * any bucket is touched, naming the file and line (or query row) and the reason.
 */
export async function stageOfflineSource(db: Db, project: Project, source: OfflineSourceModel, onRows?: (staged: number) => void): Promise<RowSource> {
  const ns = project.namespaces.get(source.output)!;
  const input = source.input!;
  const path = isAbsolute(input.path) ? input.path : join(project.root, input.path);
  // Shown as `agg check` shows places: relative to the folder holding the feature project.
  const base = dirname(project.root);
  const declared = formatSite(source.site, base) || source.file;
  const shown = isAbsolute(input.path) ? path : relative(base, path);
  if (!existsSync(path)) {
    throw new AggError("input", `offline source "${source.name}" (${declared}): no file at ${shown}`, {
      hint: "create the file, or fix the path in the declaration (paths are relative to the feature project folder)",
    });
  }
  const staged = new StagedRows(db);
  try {
    let batch: LoggedRow[] = [];
    let count = 0;
    const records = input.kind === "sqlite" ? sqliteRecords(path, input.query, ns, source.name, declared) : fileRecords(input.kind, path, ns, `offline source "${source.name}" (${shown})`);
    for await (const record of records) {
      const normalized = "error" in record ? record : normalizeRow(ns, record.raw);
      if ("error" in normalized) {
        throw new AggError("input", `offline source "${source.name}" (${shown} ${record.where}): ${normalized.error}`, {
          hint: "fix or remove that row and run the backfill again; no bucket was changed",
          meta: { source: source.name, file: path, at: record.where },
        });
      }
      batch.push({ pk: normalized.pk, ts: normalized.ts, data: normalized.data });
      if (batch.length === BATCH) {
        staged.addBatch(batch);
        batch = [];
        onRows?.((count += BATCH));
      }
    }
    staged.addBatch(batch);
    onRows?.(count + batch.length);
    staged.finishLoading();
  } catch (error) {
    staged.drop();
    throw error;
  }
  return {
    name: source.name,
    namespace: ns.name,
    bounds: () => staged.bounds(),
    count: (from, to) => staged.count(from, to),
    range: (from, to) => staged.range(from, to),
    timesAndData: (from, to) => staged.timesAndData(from, to),
    close: () => staged.drop(),
  };
}
