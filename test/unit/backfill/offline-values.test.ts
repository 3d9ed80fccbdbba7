import { describe, expect, it } from "vitest";
import { csvRow, sqliteRow } from "../../../src/backfill/offline-sources/offline-values.js";
import type { NamespaceModel } from "../../../src/project/model.js";

const ns = {
  name: "txn",
  site: null,
  primaryKey: "id",
  featureTime: "ts",
  scalars: [
    { name: "id", kind: "string", optional: false },
    { name: "n", kind: "int", optional: true },
    { name: "amount", kind: "float", optional: true },
    { name: "ok", kind: "bool", optional: true },
    { name: "note", kind: "string", optional: true },
    { name: "ts", kind: "datetime", optional: false },
  ],
} as unknown as NamespaceModel;

describe("csvRow", () => {
  it("reads cells by the declared types", () => {
    expect(csvRow(ns, { id: "t1", n: "42", amount: "-1.5e2", ok: "TRUE", note: "x", ts: "2024-03-01T00:00:00Z", extra: "dropped" })).toEqual({
      id: "t1",
      n: 42,
      amount: -150,
      ok: true,
      note: "x",
      ts: "2024-03-01T00:00:00Z",
    });
    expect(csvRow(ns, { id: "t2", ok: "0", ts: "1709251200000" })).toEqual({ id: "t2", ok: false, ts: "1709251200000" });
  });

  it("an empty cell is missing, except a quoted empty string for a string feature", () => {
    expect(csvRow(ns, { id: "t1", n: null, amount: "", ok: null, note: "", ts: "1" })).toEqual({ id: "t1", note: "", ts: "1" });
  });

  it("passes on cells that do not read as their type, so the row check can name them", () => {
    expect(csvRow(ns, { id: "t1", amount: "12,5", ok: "yes", ts: "1" })).toEqual({ id: "t1", amount: "12,5", ok: "yes", ts: "1" });
  });
});

describe("sqliteRow", () => {
  it("reads 0/1 as booleans and numbers in text features as text", () => {
    expect(sqliteRow(ns, { id: 7, n: 3, amount: 2.5, ok: 1, note: null, ts: 1709251200000 })).toEqual({ id: "7", n: 3, amount: 2.5, ok: true, ts: 1709251200000 });
    expect(sqliteRow(ns, { id: "a", ok: 0, ts: "2024-03-01" })).toEqual({ id: "a", ok: false, ts: "2024-03-01" });
  });
});
