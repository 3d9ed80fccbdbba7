import type { Db } from "./open-store.js";
import type { StoreTransactions } from "../store-port.js";

/**
 * StoreTransactions on one better-sqlite3 connection. Writes take the lock with BEGIN
 * IMMEDIATE (a deferred BEGIN would read first and fail with SQLITE_BUSY on the upgrade,
 * after the busy timeout could no longer help); the change token is `PRAGMA
 * data_version`, which SQLite changes for this connection exactly when another one commits.
 */
export function sqliteTransactions(db: Db): StoreTransactions {
  const version = db.prepare("PRAGMA data_version").pluck();
  return {
    read: (fn) => (db.inTransaction ? fn() : db.transaction(fn).deferred()),
    reader: (fn) => {
      // better-sqlite3's wrapper joins an open transaction (as a savepoint) when nested.
      const wrapped = db.transaction(fn);
      return (...args) => wrapped.deferred(...args);
    },
    write: (fn) => db.transaction(fn).immediate(),
    begin: () => db.exec("BEGIN IMMEDIATE"),
    commit: () => db.exec("COMMIT"),
    rollback: () => {
      if (db.inTransaction) db.exec("ROLLBACK");
    },
    get inTransaction() {
      return db.inTransaction;
    },
    changeToken: () => version.get() as number,
  };
}
