import { join } from "node:path";
import { BucketTable } from "../../../src/store/sqlite/bucket-table.js";
import { openDatabase } from "../../../src/store/sqlite/open-store.js";
import { RowLog } from "../../../src/store/sqlite/row-log.js";
import { sqliteTransactions } from "../../../src/store/sqlite/sqlite-transactions.js";
import { tempDir } from "../../helpers/cli.js";
import { storeContract, type OpenedStore } from "./store-contract.js";

function connect(path: string): OpenedStore {
  // A short wait for the lock: the contract's second writer must give up, not hang.
  const db = openDatabase(path, { busyTimeoutMs: 200 });
  return { tx: sqliteTransactions(db), buckets: new BucketTable(db), rows: new RowLog(db), close: () => db.close() };
}

storeContract("SQLite", () => {
  const path = join(tempDir("agg-contract-"), "store.db");
  return { first: connect(path), another: () => connect(path) };
});
