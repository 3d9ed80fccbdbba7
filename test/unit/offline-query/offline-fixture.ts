/**
 * The sample project with seeded transactions ingested through the real CLI, and seeded
 * spines over it: times before the first event, inside the data, exactly on events, and
 * past the last one (where the food buffer leaves a gap), for known and unknown ids.
 */
import { join } from "node:path";
import { runAgg, sampleWorkspace, writeFiles } from "../../helpers/cli.js";
import { generateTransactions, prng, toNdjson, type TestTransaction } from "../../helpers/events.js";

export const DAY = 86_400_000;
export const START = Date.UTC(2024, 1, 1);
export const SPAN = 40 * DAY;

export interface Workspace {
  readonly dir: string;
  readonly project: string;
  readonly store: string;
  readonly txns: readonly TestTransaction[];
}

/** A sample workspace with `count` transactions ingested. */
export function ingestedWorkspace(count = 4000, seed = 5): Workspace {
  const dir = sampleWorkspace();
  const txns = generateTransactions({ count, seed, users: 20, merchants: 5, start: START, spanMs: SPAN });
  writeFiles(dir, { "events.ndjson": toNdjson(txns) });
  const result = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir });
  if (result.code !== 0) throw new Error(`ingest failed: ${result.stderr}`);
  return { dir, project: join(dir, "features"), store: join(dir, ".agg", "store.db"), txns };
}

export interface SpineRow {
  id: string;
  at: number;
  label: number;
}

/** `count` spine rows over ids `${prefix}0..${prefix}${ids - 1}`; one in ten sits exactly on an event of its entity. */
export function makeSpine(txns: readonly TestTransaction[], count: number, ids: number, prefix: "u" | "m", seed = 9): SpineRow[] {
  const random = prng(seed);
  const key = prefix === "u" ? "user_id" : "merchant_id";
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}${Math.floor(random() * ids)}`;
    let at = START - 2 * DAY + Math.floor(random() * (SPAN + 5 * DAY));
    if (i % 10 === 0) {
      const own = txns.filter((t) => t[key] === id);
      const pick = own[Math.floor(random() * own.length)];
      if (pick !== undefined) at = Date.parse(pick.ts);
    }
    return { id, at, label: i % 2 };
  });
}
