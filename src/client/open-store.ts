import { dirname, join, resolve } from "node:path";
import { loadValidProject, projectSource } from "../project/load-project.js";
import { connectStore, type AggStore } from "./agg-store.js";

export interface OpenStoreOptions {
  /** The feature project folder; default `AGG_PROJECT`, else `./features` (relative to the working folder). */
  readonly project?: string;
  /** The SQLite store; default `AGG_STORE`, else `.agg/store.db` next to the project folder. */
  readonly store?: string;
  /** Where AGG_PROJECT, AGG_STORE, AGG_CACHE_DIR and AGG_LOAD_TIMEOUT_MS are read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for another process's lock, ms (AGG_BUSY_TIMEOUT_MS for the CLI); default 10 s. */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens a store for reading, with its feature project: the typed API for Node programs,
 * the same code path as `agg query` (no process per lookup). Read-only and safe beside a
 * running `agg ingest` or backfill; nothing is created or written. Pass the project's
 * types as `P` to type names and values (see `FeatureName`, `ValuesOf`).
 *
 * @example
 * import { openStore } from "agg/client";
 * import type * as Features from "./features/user.js";
 *
 * const store = await openStore<typeof Features>({ project: "features" });
 * const { rows } = await store.query({ features: ["user.txn_sum", "user.txn_mean"], ids: ["u1"], at: "2024-03-01T12:00:00Z" });
 * rows[0]?.values["user.txn_mean__2592000__"]; // number | null
 * store.close();
 */
export async function openStore<P = unknown>(options: OpenStoreOptions = {}): Promise<AggStore<P>> {
  const env = options.env ?? process.env;
  const dir = resolve(options.project ?? nonEmpty(env.AGG_PROJECT) ?? "features");
  const source = projectSource(dir, env);
  const project = await loadValidProject(source);
  const store = resolve(options.store ?? nonEmpty(env.AGG_STORE) ?? join(dirname(dir), ".agg", "store.db"));
  return connectStore<P>(project, store, { warnings: source.warnings ?? [], ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }) });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
