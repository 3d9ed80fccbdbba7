import { features, string, windowed, groupByWindowed } from "agg";
import { Transaction } from "./transaction.js";

export const Merchant = features("merchant", {
  id: string().primary(),
  txn_min: windowed("1d", "7d", {
    expression: Transaction.amount.min(),
    materialization: { bucketDuration: "1h", bucketDurations: { "1d": "7d" } },
  }),
  txn_count: windowed("1d", "7d", "30d", {
    expression: Transaction.amount.count(),
    materialization: { bucketDuration: "1h", bucketDurations: { "1d": ["7d", "30d"] } },
    default: 0,
  }),
  txn_sum_by_user: groupByWindowed("30d", {
    expression: Transaction.amount.sum(),
    groupBy: [Transaction.user_id],
    materialization: { bucketDuration: "1d" },
  }),
});
