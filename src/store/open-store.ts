import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { AggError } from "../errors.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.js";
import { storeError } from "./store-error.js";

export type Db = Database.Database;

export interface OpenOptions {
  /** Refuse to create a missing store (read-only commands). */
  readonly mustExist?: boolean;
  readonly readonly?: boolean;
  /** How long to wait for another process's write lock, ms. */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) and migrates the SQLite store. WAL lets queries read while
 * one process writes; the busy timeout makes concurrent writers wait instead of failing.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const exists = existsSync(path);
  if (!exists && (options.mustExist || options.readonly)) {
    throw new AggError("store", `no store at ${path}`, { hint: "ingest or backfill first, or point at a store with --store PATH (or AGG_STORE)" });
  }
  let db: Db;
  try {
    if (!exists) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly: options.readonly ?? false, timeout: options.busyTimeoutMs ?? 10_000 });
  } catch (error) {
    throw storeError(error, path);
  }
  try {
    if (!options.readonly) db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db, path, options.readonly ?? false);
    return db;
  } catch (error) {
    db.close();
    throw storeError(error, path);
  }
}

function migrate(db: Db, path: string, readonly: boolean): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new AggError("store", `the store at ${path} has schema version ${version}, newer than this agg understands (${SCHEMA_VERSION})`, {
      hint: "upgrade agg, or use another store with --store PATH; nothing was changed",
    });
  }
  if (version === SCHEMA_VERSION) return;
  if (readonly) throw new AggError("store", `the store at ${path} needs a schema upgrade, but it is open read-only`, { hint: "run any writing command (ingest, backfill, list) once" });
  // Each migration and its version bump commit together, so a crash leaves a known version.
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const current = db.pragma("user_version", { simple: true }) as number;
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    if (current < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
