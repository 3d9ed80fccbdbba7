#!/usr/bin/env node
// The quick start: generate a day-by-day stream of transactions for the sample project,
// ingest it, print the series table, and query a few users. Everything goes through the
// real CLI, in a scratch folder, so it runs the same on any machine.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const work = join(repo, ".demo");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
cpSync(join(repo, "features"), join(work, "features"), { recursive: true });

// A seeded generator: the same events, and so the same answers, on every run.
let seed = 42;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const start = Date.UTC(2024, 1, 1);
const categories = ["food", "travel", "bars", null];
const lines = [];
for (let i = 0; i < 20_000; i++) {
  lines.push(
    JSON.stringify({
      id: `t${i}`,
      user_id: `u${Math.floor(random() * 200)}`,
      merchant_id: `m${Math.floor(random() * 20)}`,
      amount: Math.round(random() * 20_000) / 100,
      category: categories[Math.floor(random() * categories.length)],
      ts: new Date(start + Math.floor((i / 20_000) * 30 * 86_400_000 + random() * 3_600_000)).toISOString(),
    }),
  );
}
writeFileSync(join(work, "events.ndjson"), lines.join("\n") + "\n");

const agg = (...args) => {
  console.log(`\n$ agg ${args.join(" ")}`);
  const result = spawnSync(process.execPath, [join(repo, "bin", "agg.js"), ...args], { cwd: work, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

agg("check");
agg("list");
agg("ingest", "--source", "transactions", "--file", "events.ndjson");
agg("query", "--feature", "user.txn_sum", "--feature", "user.txn_mean", "--id", "u1", "--id", "u2", "--at", "2024-03-01T12:00:00Z");
agg("query", "--feature", "user.txn_sum__86400__", "--id", "u1", "--at", "2024-03-01T12:00:00Z", "--explain");
console.log(`\nThe demo's files are in ${work} (store: .demo/.agg/store.db).`);
