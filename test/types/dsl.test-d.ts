import { expectTypeOf, test } from "vitest";
import { z } from "zod";
import { features, string, float, int, datetime, windowed, stream, groupByWindowed, type RowOf, type AggExpr } from "agg";

const Txn = features("txn", {
  id: string().primary(),
  user_id: string().references("usr.id"),
  amount: float(),
  qty: int().optional(),
  category: string().optional(),
  ts: datetime().featureTime(),
});

test("feature references carry their value type", () => {
  expectTypeOf(Txn.amount.sum()).toEqualTypeOf<AggExpr<number>>();
  expectTypeOf(Txn.amount.mean()).toEqualTypeOf<AggExpr<number | null>>();
  expectTypeOf(Txn.qty.sum()).toEqualTypeOf<AggExpr<number>>();
  expectTypeOf(Txn.category.count()).toEqualTypeOf<AggExpr<number>>();
  expectTypeOf(Txn.category.approxTopK(3)).toEqualTypeOf<AggExpr<string[] | null>>();
});

test("numeric aggregations reject non-numeric features", () => {
  // @ts-expect-error sum() needs a number feature
  Txn.category.sum();
  // @ts-expect-error mean() needs a number feature
  Txn.id.mean();
  // @ts-expect-error approxPercentile() needs a number feature
  Txn.ts.approxPercentile(0.5);
  // @ts-expect-error comparing a number feature with a string
  Txn.amount.eq("ten");
  // @ts-expect-error featureTime() only on datetime features
  string().featureTime();
});

test("the row type follows the namespace", () => {
  type Row = RowOf<typeof Txn>;
  expectTypeOf<Row["amount"]>().toEqualTypeOf<number>();
  expectTypeOf<Row["category"]>().toEqualTypeOf<string | null | undefined>();
});

test("windowed defaults must match the aggregation's value", () => {
  const Usr = features("usr", {
    id: string().primary(),
    total: windowed("1d", { expression: Txn.amount.sum(), default: 0, materialization: true }),
    // @ts-expect-error default must be a number for sum()
    wrong: windowed("1d", { expression: Txn.amount.sum(), default: "zero", materialization: true }),
    by_cat: groupByWindowed("7d", { expression: Txn.amount.sum(), groupBy: [Txn.category], materialization: true }),
  });
  expectTypeOf(Usr.total.fqn).toEqualTypeOf<string>();
});

test("weekStart is a day name", () => {
  features("usr_weeks", {
    id: string().primary(),
    weeks: windowed("7d", { expression: Txn.amount.sum(), materialization: { bucketDuration: "7d", bucketTimeZone: "Europe/Berlin", weekStart: "Sunday" } }),
    // @ts-expect-error "Sundy" is not a day of the week
    typo: windowed("7d", { expression: Txn.amount.sum(), materialization: { bucketDuration: "7d", bucketTimeZone: "Europe/Berlin", weekStart: "Sundy" } }),
  });
});

test("a resolver must return the namespace's row", () => {
  const message = z.object({ id: z.string(), user: z.string(), amount: z.number(), ts: z.string() });
  stream({
    source: "ok",
    message,
    output: Txn,
    resolve: (m) => ({ id: m.id, user_id: m.user, amount: m.amount, ts: m.ts }),
  });
  stream({
    source: "bad",
    message,
    output: Txn,
    // @ts-expect-error amount must be a number, not a string
    resolve: (m) => ({ id: m.id, user_id: m.user, amount: String(m.amount), ts: m.ts }),
  });
  stream({
    source: "missing",
    message,
    output: Txn,
    // @ts-expect-error user_id is required
    resolve: (m) => ({ id: m.id, amount: m.amount, ts: m.ts }),
  });
});
