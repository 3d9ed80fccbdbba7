import { describe, expect, it } from "vitest";
import { AggError } from "../../../src/errors.js";
import { storeError } from "../../../src/store/store-error.js";

function sqliteError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("storeError", () => {
  it("turns a full disk into a store error that says what to do", () => {
    for (const code of ["SQLITE_FULL", "ENOSPC"]) {
      const mapped = storeError(sqliteError(code, "database or disk is full"), "/data/.agg/store.db");
      expect(mapped).toBeInstanceOf(AggError);
      const error = mapped as AggError;
      expect(error.code).toBe("store");
      expect(error.message).toBe("the disk holding the store at /data/.agg/store.db is full (database or disk is full)");
      expect(error.hint).toMatch(/free space/);
    }
  });

  it("maps corrupt, locked and unwritable stores, and leaves other errors alone", () => {
    expect((storeError(sqliteError("SQLITE_NOTADB", "file is not a database"), "s.db") as AggError).message).toMatch(/^the store at s.db is not a valid agg store/);
    expect((storeError(sqliteError("SQLITE_BUSY", "database is locked"), "s.db") as AggError).message).toBe("the store at s.db is locked by another process");
    expect((storeError(sqliteError("SQLITE_READONLY", "attempt to write a readonly database"), "s.db") as AggError).message).toMatch(/^cannot write the store at s.db/);
    const other = new TypeError("not a store problem");
    expect(storeError(other, "s.db")).toBe(other);
  });
});
