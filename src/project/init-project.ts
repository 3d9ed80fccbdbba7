import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AggError } from "../errors.js";

const TRANSACTION = `import { features, string, float, datetime } from "agg";

/** The events: one row per card transaction. */
export const Transaction = features("transaction", {
  id: string().primary(),
  user_id: string().references("user.id"),
  amount: float(),
  ts: datetime().featureTime(),
});
`;

const USER = `import { features, string, windowed } from "agg";
import { Transaction } from "./transaction.js";

/** The entity served: a user's spend over the last day and week, kept in hourly buckets. */
export const User = features("user", {
  id: string().primary(),
  txn_sum: windowed("1d", "7d", {
    expression: Transaction.amount.sum(),
    materialization: { bucketDuration: "1h" },
    default: 0,
  }),
});
`;

const STREAMS = `import { stream } from "agg";
import { z } from "zod";
import { Transaction } from "./transaction.js";

/** Feed it with: agg ingest --source transactions --file events.ndjson */
export const processTransactions = stream({
  source: "transactions",
  message: z.object({ id: z.string(), user_id: z.string(), amount: z.number(), ts: z.string() }),
  output: Transaction,
  resolve: (m) => ({ id: m.id, user_id: m.user_id, amount: m.amount, ts: m.ts }),
});
`;

const EVENTS = [
  { id: "t1", user_id: "u1", amount: 12.5, ts: "2024-03-01T09:15:00Z" },
  { id: "t2", user_id: "u1", amount: 30, ts: "2024-03-01T11:40:00Z" },
  { id: "t3", user_id: "u2", amount: 7.25, ts: "2024-03-01T10:05:00Z" },
];

/** The installed agg's package root: types for the starter's tsconfig come from here. */
function toolRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

function tsconfig(dir: string): string {
  const root = toolRoot();
  const zodTypes = dirname(createRequire(join(root, "package.json")).resolve("zod/package.json"));
  const rel = (p: string) => {
    const r = relative(dir, p);
    return r.startsWith(".") ? r : `./${r}`;
  };
  return `${JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        // Point the editor at the installed agg (and its zod), so no npm install is needed here.
        paths: { agg: [rel(join(root, "dist", "index.d.ts"))], zod: [rel(zodTypes)] },
      },
      include: ["*.ts", "**/*.ts"],
    },
    null,
    2,
  )}\n`;
}

/** Writes a starter feature project into `dir` (which must be missing or empty). */
export function initProject(dir: string): string[] {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new AggError("usage", `${target} is not empty`, { hint: "choose a new folder: agg init my-features" });
  }
  mkdirSync(target, { recursive: true });
  const files: Record<string, string> = {
    "transaction.ts": TRANSACTION,
    "user.ts": USER,
    "streams.ts": STREAMS,
    "tsconfig.json": tsconfig(target),
    "events.ndjson": EVENTS.map((e) => JSON.stringify(e)).join("\n") + "\n",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(target, name), text);
  return Object.keys(files).map((name) => join(target, name));
}
