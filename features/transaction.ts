import { features, string, float, datetime } from "agg";

/** One card transaction: the events every aggregate in this project is built from. */
export const Transaction = features("transaction", {
  id: string().primary(),
  user_id: string().references("user.id"),
  merchant_id: string().references("merchant.id"),
  amount: float(),
  category: string().optional(),
  ts: datetime().featureTime(),
});
