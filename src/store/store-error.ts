import { AggError } from "../errors.js";

/** True for errors raised by SQLite (better-sqlite3's SqliteError). */
export function isSqliteError(error: unknown): boolean {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("SQLITE_");
}

/**
 * Maps SQLite's and the file system's error codes to messages that say what to do.
 * `kept` says what the command had committed when the error came; without it (an error
 * while opening, before any write), the hint says that nothing was changed.
 */
export function storeError(error: unknown, path: string, kept?: string): unknown {
  if (error instanceof AggError) return error;
  const code = (error as { code?: string }).code ?? "";
  const message = error instanceof Error ? error.message : String(error);
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new AggError("store", `the store at ${path} is not a valid agg store (${message})`, {
      hint: `restore it from a backup, or point at another store with --store PATH${kept === undefined ? "; nothing was changed" : ` (\`agg check --store\` reports the damage); ${kept}`}`,
    });
  }
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new AggError("store", `the store at ${path} is locked by another process`, { hint: `wait for the other agg process to finish, then run again; ${kept ?? "nothing was changed"}` });
  }
  if (code === "SQLITE_FULL" || code === "ENOSPC") {
    return new AggError("store", `the disk holding the store at ${path} is full (${message})`, {
      hint: "free space on that disk and run the same command again: a write transaction that did not fit was rolled back, and every committed one is kept (re-sent messages count as duplicates)",
    });
  }
  if (["SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_IOERR_READ", "EEXIST", "ENOTDIR", "EISDIR", "EACCES", "EROFS"].includes(code)) {
    return new AggError("store", `cannot write the store at ${path} (${message})`, { hint: "check the file and folder permissions, or point at another store with --store PATH" });
  }
  return error;
}

/** SQLite errors while ingesting, as store errors; earlier batches are committed, so say so. */
export function ingestStoreError(error: unknown, path: string): unknown {
  if (!isSqliteError(error)) return error;
  const code = (error as { code: string }).code;
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new AggError("store", `the store at ${path} stayed locked by another process`, {
      hint: "the batches committed before were kept; run the same command again when the other process is done (kept messages are then duplicates), or wait longer with AGG_BUSY_TIMEOUT_MS",
    });
  }
  return storeError(error, path, "the batches committed before were kept");
}
