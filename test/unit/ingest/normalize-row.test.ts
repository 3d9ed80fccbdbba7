import { describe, expect, it } from "vitest";
import type { ScalarKind } from "../../../src/dsl/scalar.js";
import { normalizeRow } from "../../../src/ingest/normalize-row.js";
import type { NamespaceModel } from "../../../src/project/model.js";

// ts declares epoch milliseconds, so small numbers (ts: 0) are accepted as they are.
const scalar = (name: string, kind: ScalarKind, optional = false, epochUnit: "s" | "ms" | null = name === "ts" ? "ms" : null) => ({ name, kind, optional, primary: name === "id", references: null, featureTime: name === "ts", epochUnit, site: null });

const NS: NamespaceModel = {
  name: "txn",
  site: null,
  scalars: [scalar("id", "string"), scalar("n", "int"), scalar("amount", "float", true), scalar("flag", "bool", true), scalar("ts", "datetime")],
  primaryKey: "id",
  featureTime: "ts",
};

describe("numeric event times and their unit", () => {
  const nsWith = (unit: "s" | "ms" | null): NamespaceModel => ({ ...NS, scalars: [scalar("id", "string"), scalar("n", "int"), scalar("ts", "datetime", false, unit)] });
  const T = Date.UTC(2024, 4, 30, 10);

  it("undeclared: epoch ms; a number that can only be seconds is rejected with the fix", () => {
    expect(normalizeRow(nsWith(null), { id: "a", n: 1, ts: T })).toMatchObject({ ts: T });
    const error = (normalizeRow(nsWith(null), { id: "a", n: 1, ts: T / 1000 }) as { error: string }).error;
    expect(error).toContain(`txn.ts: event time ${T / 1000} is a number below 100000000000`);
    expect(error).toContain("1970-01-20T");
    expect(error).toContain('datetime().featureTime().epoch("s")');
    expect((normalizeRow(nsWith(null), { id: "a", n: 1, ts: String(T / 1000) }) as { error: string }).error).toContain("looks like epoch seconds");
    // ISO strings and Dates are unambiguous, also in 1970.
    expect(normalizeRow(nsWith(null), { id: "a", n: 1, ts: "1970-01-02T00:00:00Z" })).toMatchObject({ ts: 86_400_000 });
  });

  it('.epoch("s"): numbers and digit strings are seconds, to the millisecond', () => {
    expect(normalizeRow(nsWith("s"), { id: "a", n: 1, ts: T / 1000 })).toMatchObject({ ts: T });
    expect(normalizeRow(nsWith("s"), { id: "a", n: 1, ts: `${T / 1000}.250` })).toMatchObject({ ts: T + 250 });
    expect(normalizeRow(nsWith("s"), { id: "a", n: 1, ts: "2024-05-30T10:00:00Z" })).toMatchObject({ ts: T });
    expect((normalizeRow(nsWith("s"), { id: "a", n: 1, ts: T }) as { error: string }).error).toMatch(/after 9999-12-31/);
  });
});

describe("normalizeRow", () => {
  it("puts a row in canonical form: declaration order, epoch-ms times, nulls for absent optionals, no unknown fields", () => {
    const result = normalizeRow(NS, { ts: "2024-03-01T00:00:00+01:00", extra: 1, n: 3, id: "a" });
    expect(result).toEqual({ row: { id: "a", n: 3, amount: null, flag: null, ts: Date.UTC(2024, 1, 29, 23) }, pk: "a", ts: Date.UTC(2024, 1, 29, 23), data: `{"id":"a","n":3,"amount":null,"flag":null,"ts":${Date.UTC(2024, 1, 29, 23)}}` });
  });

  it("turns negative zero into zero, so equal rows have equal text", () => {
    const a = normalizeRow(NS, { id: "a", n: -0, amount: -0, ts: 0 });
    const b = normalizeRow(NS, { id: "a", n: 0, amount: 0, ts: new Date(0) });
    expect("data" in a && "data" in b && a.data === b.data).toBe(true);
    expect(Object.is((a as unknown as { row: { amount: number } }).row.amount, 0)).toBe(true);
  });

  it.each([
    [{ id: "a", n: 1, amount: Number.NaN, ts: 0 }, "txn.amount: expected a finite number, got NaN"],
    [{ id: "a", n: 1, amount: Number.POSITIVE_INFINITY, ts: 0 }, "txn.amount: expected a finite number, got Infinity"],
    [{ id: "a", n: 1.5, ts: 0 }, "txn.n: expected a whole number, got 1.5"],
    [{ id: "a", n: "1", ts: 0 }, 'txn.n: expected a whole number, got "1"'],
    [{ id: "a", n: 1, flag: "yes", ts: 0 }, 'txn.flag: expected a boolean, got "yes"'],
    [{ id: "a", ts: 0 }, "txn.n is missing but not optional"],
    [{ id: "", n: 1, ts: 0 }, "the primary key txn.id is empty"],
    [{ id: "a", n: 1, ts: -1 }, "txn.ts: event time 1969-12-31T23:59:59.999Z (-1 ms) is before 1970-01-01"],
    [{ id: "a", n: 1, ts: new Date(Number.NaN) }, "txn.ts: event time is an invalid Date"],
    [undefined, "the resolver returned undefined, not a row object"],
    [[1], "the resolver returned an array, not a row object"],
  ])("rejects %j with a reason", (raw, reason) => {
    const result = normalizeRow(NS, raw) as { error: string; field?: string };
    expect(result.error).toBe(reason);
    // The field at fault, when there is one, so ingest can tell the input's fault from the resolver's.
    if (result.field !== undefined) expect(reason).toContain(`txn.${result.field}`);
  });
});
