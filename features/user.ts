import { features, string, windowed, groupByWindowed } from "agg";
import { Transaction } from "./transaction.js";

export const User = features("user", {
  id: string().primary(),
  txn_sum: windowed("1d", "7d", "30d", {
    expression: Transaction.amount.sum(),
    materialization: { bucketDuration: "1d" },
    default: 0,
  }),
  txn_count: windowed("1d", "7d", "30d", {
    expression: Transaction.amount.count(),
    materialization: { bucketDuration: "1d" },
  }),
  txn_mean: windowed("30d", {
    expression: Transaction.amount.mean(),
    materialization: { bucketDuration: "1d" },
  }),
  txn_max: windowed("7d", "30d", {
    expression: Transaction.amount.max(),
    materialization: { bucketDuration: "1d" },
  }),
  food_spend: windowed("1h", "1d", {
    expression: Transaction.amount.where(Transaction.category.eq("food")).sum(),
    materialization: {
      bucketDuration: "10m",
      backfillSchedule: "0 * * * *",
      continuousBufferDuration: "2h",
    },
  }),
  txn_sum_by_merchant: groupByWindowed("30d", {
    expression: Transaction.amount.sum(),
    groupBy: [Transaction.merchant_id],
    materialization: { bucketDuration: "1d" },
  }),
});
