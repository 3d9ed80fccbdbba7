import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { AggError } from "../errors.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.js";

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
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** Maps SQLite's error codes to messages that say what to do. */
export function storeError(error: unknown, path: string): unknown {
  if (error instanceof AggError) return error;
  const code = (error as { code?: string }).code ?? "";
  const message = error instanceof Error ? error.message : String(error);
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new AggError("store", `the store at ${path} is not a valid agg store (${message})`, { hint: "restore it from a backup, or point at another store with --store PATH; nothing was changed" });
  }
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new AggError("store", `the store at ${path} is locked by another process`, { hint: "wait for the other agg process to finish, then run again; nothing was changed" });
  }
  if (code === "SQLITE_READONLY" || code === "SQLITE_CANTOPEN" || code === "SQLITE_PERM" || code === "SQLITE_IOERR_READ") {
    return new AggError("store", `cannot write the store at ${path} (${message})`, { hint: "check the file and folder permissions, or point at another store with --store PATH" });
  }
  return error;
}
