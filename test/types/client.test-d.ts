import { expectTypeOf, test } from "vitest";
import { openStore, type AggStore, type FeatureName, type FeatureRoot, type FeatureValue, type ValueOf, type ValueStatus } from "../../src/client/index.js";
import type { Merchant } from "../../features/merchant.js";
import type * as UserModule from "../../features/user.js";

// What a program passes: namespaces, a union of them, or whole modules of the feature project.
type Project = typeof UserModule | typeof Merchant;
declare const store: AggStore<Project>;

test("names are checked against the declarations", () => {
  expectTypeOf<FeatureRoot<typeof UserModule>>().toEqualTypeOf<"user.txn_sum" | "user.txn_count" | "user.txn_mean" | "user.txn_max" | "user.food_spend" | "user.txn_sum_by_merchant">();
  expectTypeOf<"merchant.txn_count">().toExtend<FeatureName<Project>>();
  expectTypeOf<"user.txn_sum__86400__">().toExtend<FeatureName<Project>>();
  expectTypeOf<'user.txn_sum["7d"]'>().toExtend<FeatureName<Project>>();
  // @ts-expect-error no such feature
  void store.query({ features: ["user.txn_summ"], ids: ["u1"] });
  // @ts-expect-error a scalar feature is not served
  void store.query({ features: ["transaction.amount"], ids: ["u1"] });
});

test("values follow the aggregation: a sum is a number, a mean may be null, a group-by is a record", async () => {
  const { rows } = await store.query({ features: ["user.txn_sum__86400__", "user.txn_mean__2592000__", "user.txn_sum_by_merchant__2592000__", "merchant.txn_min__86400__"], ids: ["u1"], at: new Date() });
  const row = rows[0]!;
  expectTypeOf(row.values["user.txn_sum__86400__"]).toEqualTypeOf<number>();
  expectTypeOf(row.values["user.txn_mean__2592000__"]).toEqualTypeOf<number | null>();
  expectTypeOf(row.values["user.txn_sum_by_merchant__2592000__"]).toEqualTypeOf<Record<string, number>>();
  expectTypeOf(row.values["merchant.txn_min__86400__"]).toEqualTypeOf<number | null>();
  expectTypeOf(row.status["user.txn_sum__86400__"]).toEqualTypeOf<ValueStatus>();
  // @ts-expect-error a window that was not asked for
  void row.values["user.txn_max__604800__"];
  expectTypeOf<ValueOf<Project, 'user.txn_sum["7d"]'>>().toEqualTypeOf<number>();
});

test("a root or a window in days gives every window of that root, typed, but maybe absent", async () => {
  const { rows } = await store.query({ features: ["user.txn_sum", "user.txn_max__7d__"], ids: ["u1"], at: "2024-03-01T00:00:00Z" });
  expectTypeOf(rows[0]!.values["user.txn_sum__604800__"]).toEqualTypeOf<number | undefined>();
  expectTypeOf(rows[0]!.values["user.txn_max__604800__"]).toEqualTypeOf<number | null | undefined>();
});

test("offline rows carry the spine row's own type", async () => {
  const spine = [{ id: "u1", at: 1709251200000, label: true }];
  for await (const row of store.offlineQuery({ features: ["user.txn_count__86400__"], spine, mode: "exact" })) {
    expectTypeOf(row.values["user.txn_count__86400__"]).toEqualTypeOf<number>();
    expectTypeOf(row.spine.label).toEqualTypeOf<boolean>();
    expectTypeOf(row.at).toEqualTypeOf<Date>();
  }
  // @ts-expect-error a spine row needs an id and a time
  store.offlineQuery({ features: ["user.txn_sum"], spine: [{ id: "u1" }] });
});

test("without the project's types, names are strings and values FeatureValue", async () => {
  const untyped = await openStore({ project: "features" });
  const { rows } = await untyped.query({ features: ["anything.at_all"], ids: [] });
  expectTypeOf(rows[0]!.values).toEqualTypeOf<Record<string, FeatureValue>>();
  expectTypeOf(openStore<Project>).returns.resolves.toEqualTypeOf<AggStore<Project>>();
});
