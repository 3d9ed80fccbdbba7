import { randomBytes } from "node:crypto";
import { closeSync, constants, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import Database from "better-sqlite3";
import { AggError } from "../../errors.js";
import { checksumBytes } from "../bucket-checksum.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.js";
import { storeError } from "../store-error.js";

/** "AGG1" as a big-endian int32: `PRAGMA application_id` of every agg store, in its file header. */
export const AGG_APPLICATION_ID = 0x41474731;

export type Db = Database.Database;

export interface OpenOptions {
  /** Refuse to create a missing store (read-only commands). */
  readonly mustExist?: boolean;
  readonly readonly?: boolean;
  /**
   * The command only reads (query, check, jobs): opening writes nothing (no WAL switch,
   * no migration, no application id), and a store that needs a schema upgrade is refused.
   */
  readonly noWrites?: boolean;
  /** How long to wait for another process's write lock, ms. */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) and migrates the SQLite store. WAL lets queries read while
 * one process writes; the busy timeout makes concurrent writers wait instead of failing.
 * Only agg stores are opened: any other file (empty, another application's database, not
 * SQLite) is refused before anything is written to it, so it stays byte for byte as it was.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const exists = existsSync(path);
  if (!exists && (options.mustExist || options.readonly || options.noWrites)) {
    throw new AggError("store", `no store at ${path}`, { hint: "ingest or backfill first, or point at a store with --store PATH (or AGG_STORE)" });
  }
  let db: Db;
  try {
    if (!exists) createStore(path);
    const stampedOnDisk = checkHeader(path);
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: true, timeout: options.busyTimeoutMs ?? 10_000 });
    try {
      // A header without agg's id is a store of an earlier agg (adopted), or not ours.
      const stamped = stampedOnDisk || isAggStore(db, path);
      const writes = !(options.readonly || options.noWrites);
      if (writes) db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      migrate(db, path, !writes, stamped);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  } catch (error) {
    throw storeError(error, path);
  }
}

/**
 * Creates a store in a file beside `path` and links it into place, so the path never
 * holds a half-made store (an empty file would be refused by another agg opening it at
 * that moment). When another process created the store meanwhile, its store is kept.
 */
function createStore(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.new`);
  try {
    const db = new Database(temp);
    try {
      db.pragma(`application_id = ${AGG_APPLICATION_ID}`);
      db.pragma("journal_mode = WAL");
      migrate(db, path, false, true);
    } finally {
      db.close();
    }
    try {
      linkSync(temp, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return;
      // A file system without hard links: an exclusive copy still never overwrites.
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
      try {
        copyFileSync(temp, path, constants.COPYFILE_EXCL);
      } catch (copyError) {
        if ((copyError as NodeJS.ErrnoException).code !== "EEXIST") throw copyError;
      }
    }
  } finally {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${temp}${suffix}`, { force: true });
  }
}

/**
 * Reads the file header (SQLite's first 100 bytes) and refuses what cannot be an agg
 * store without opening it. Returns whether the header carries agg's application id;
 * false (id 0) leaves the decision to `isAggStore`.
 */
function checkHeader(path: string): boolean {
  const header = Buffer.alloc(100);
  const fd = openSync(path, "r");
  let length: number;
  try {
    length = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (length === 0) throw notAStore(path, "the file is empty");
  if (length < 100 || header.toString("latin1", 0, 16) !== "SQLite format 3\0") {
    throw new AggError("store", `the store at ${path} is not a valid agg store (not a SQLite database)`, { hint: "point at an agg store with --store PATH, or at a path where agg may create one; the file was not changed" });
  }
  const id = header.readUInt32BE(68);
  if (id === AGG_APPLICATION_ID) return true;
  if (id !== 0) throw notAStore(path, `it is another application's SQLite database (application_id 0x${id.toString(16).padStart(8, "0")})`);
  return false;
}

/**
 * Whether a database whose header has no application id is an agg store: one made by an
 * earlier agg (agg's `meta` table and a schema version), or one stamped in its write-ahead
 * log but not yet in the file. Reads only.
 */
function isAggStore(db: Db, path: string): boolean {
  const id = (db.pragma("application_id", { simple: true }) as number) >>> 0;
  if (id === AGG_APPLICATION_ID) return true;
  if (id !== 0) throw notAStore(path, `it is another application's SQLite database (application_id 0x${id.toString(16).padStart(8, "0")})`);
  const meta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  const version = db.pragma("user_version", { simple: true }) as number;
  if (meta === undefined || version < 1) throw notAStore(path, "it is another application's SQLite database (no application id, and none of agg's tables)");
  return false;
}

function notAStore(path: string, why: string): AggError {
  return new AggError("store", `${path} is not an agg store: ${why}`, {
    hint: "point --store (or AGG_STORE) at an agg store, or at a path where agg may create one; the file was not changed",
  });
}

function migrate(db: Db, path: string, readonly: boolean, stamped: boolean): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new AggError("store", `the store at ${path} has schema version ${version}, newer than this agg understands (${SCHEMA_VERSION})`, {
      hint: "upgrade agg, or use another store with --store PATH; nothing was changed",
    });
  }
  if (version === SCHEMA_VERSION && (stamped || readonly)) return;
  if (readonly) throw new AggError("store", `the store at ${path} needs a schema upgrade, but this command only reads it`, { hint: "run any writing command (ingest, backfill, list) once" });
  // Migrations compute the checksums of stored states (migration 4) with agg's own code.
  db.function("agg_bucket_checksum", { deterministic: true }, (start, state) => checksumBytes(Number(start), state as Uint8Array));
  // Each migration and its version bump commit together, so a crash leaves a known version.
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const current = db.pragma("user_version", { simple: true }) as number;
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    if (current < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    // A store of an earlier agg is stamped with the first write.
    if (!stamped) db.pragma(`application_id = ${AGG_APPLICATION_ID}`);
  }).immediate();
}
