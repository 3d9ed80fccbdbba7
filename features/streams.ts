import { stream, offlineSource } from "agg";
import { z } from "zod";
import { Transaction } from "./transaction.js";

/** Card transactions as they arrive on the payments topic. */
export const processTransactions = stream({
  source: "transactions",
  message: z.object({
    id: z.string(),
    user_id: z.string(),
    merchant_id: z.string(),
    amount: z.number(),
    category: z.string().nullable(),
    ts: z.string(),
  }),
  output: Transaction,
  resolve: (m) => ({
    id: m.id,
    user_id: m.user_id,
    merchant_id: m.merchant_id,
    amount: m.amount,
    category: m.category,
    ts: m.ts,
  }),
});

/** Last quarter's transactions, exported from the warehouse as NDJSON. */
export const warehouse = offlineSource({
  name: "warehouse",
  output: Transaction,
  ndjson: "data/transactions.ndjson",
});
