import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadProject, projectSource } from "../../../src/project/load-project.js";
import { deriveSeries } from "../../../src/series/derive.js";
import { formatDuration } from "../../../src/time/duration.js";
import { REPO } from "../../helpers/cli.js";

const fixture = (name: string) => join(REPO, "test", "fixtures", "projects", name);

/** The series table as plain tuples: Group | Agg | Bucket | Retention | Aggregation | Dependents. */
async function table(dir: string) {
  const { project, problems } = await loadProject(projectSource(dir));
  expect(problems).toEqual([]);
  return deriveSeries(project).map((s) => ({
    namespace: s.namespace,
    group: s.groupKeys.join(" "),
    agg: s.feature ?? "",
    rules: s.rules.map((r) => [formatDuration(r.bucketMs), formatDuration(r.retentionMs), r.label, r.dependents.join(" ")]),
  }));
}

describe("deriveSeries", () => {
  test("Chalk's documented example: a shared user x merchant series and a user series", async () => {
    expect(await table(fixture("chalk-example"))).toEqual([
      // merchant.ts loads before user.ts; the shared series is found from either side.
      {
        namespace: "transaction",
        group: "user_id merchant_id",
        agg: "amount",
        rules: [
          ["1d", "30d", "sum", "merchant.txn_sum_by_user user.txn_sum_by_merchant"],
          ["1d", "30d", "count", "user.txn_count_by_merchant"],
        ],
      },
      { namespace: "transaction", group: "user_id", agg: "amount", rules: [["1d", "30d", "sum", "user.txn_sum"]] },
    ]);
  });

  test("the sample project: bucket sizes per window, filters, shared layouts", async () => {
    const { project } = await loadProject(projectSource(join(REPO, "features")));
    const series = deriveSeries(project);
    const byFeature = (fqn: string) => series.find((s) => s.features.some((f) => f.fqn === fqn))!;
    // txn_sum, txn_count, txn_mean and txn_max of user share one series and one 1d state.
    const user = byFeature("user.txn_sum");
    expect(byFeature("user.txn_mean")).toBe(user);
    expect(user.sizes.map((s) => [formatDuration(s.bucketMs), s.specs.map((a) => a.fn)])).toEqual([["1d", ["sum", "count", "mean", "max"]]]);
    // The filtered feature has its own series (the filter is part of the identity).
    const food = byFeature("user.food_spend");
    expect(food).not.toBe(user);
    expect(food.filterText).toBe('transaction.category eq "food"');
    // bucketDurations: 1d buckets for the long windows, 1h for the rest; retention per size.
    const merchant = byFeature("merchant.txn_count");
    expect(merchant.sizes.map((s) => [formatDuration(s.bucketMs), formatDuration(s.retentionMs)])).toEqual([["1h", "1d"], ["1d", "30d"]]);
  });

  test("windowed features without materialization are not series", async () => {
    const { project } = await loadProject(projectSource(join(REPO, "features")));
    const lazy = { ...project, windowed: project.windowed.map((f) => ({ ...f, materialization: null })) };
    expect(deriveSeries(lazy)).toEqual([]);
  });
});
