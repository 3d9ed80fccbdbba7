/**
 * `agg serve` beside a running `agg ingest`: the server opened the store before any row
 * was ingested, picks up every commit on the next request, never fails a request, and
 * every response is one committed state. The stream only inserts and every event lies
 * inside the 30d windows at T, so within one response a user's mean is its sum over its
 * count, the users' counts add up to the merchants' counts (two namespaces, two reads, one
 * snapshot), and the same user asked at T and at T + 1 s (two reads) has the same values;
 * and a response never has a count below one already received before its request was sent.
 */
import { writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { call, startServe } from "../cli/serve-fixture.js";

const DAY = 86_400_000;
const USERS = Array.from({ length: 30 }, (_, i) => `u${i}`);
const MERCHANTS = Array.from({ length: 6 }, (_, i) => `m${i}`);
const W = "__2592000__";
const events = generateTransactions({ count: 30_000, seed: 12, users: USERS.length, merchants: MERCHANTS.length, start: Date.UTC(2024, 1, 1), spanMs: 20 * DAY });
const T = new Date(Math.max(...events.map((e) => Date.parse(e.ts)))).toISOString();
const LATER = new Date(Date.parse(T) + 1_000).toISOString();

describe("agg serve during agg ingest", () => {
  it("every response is one committed state, and no request fails", { timeout: 240_000 }, async () => {
    const dir = sampleWorkspace();
    writeFileSync(join(dir, "events.ndjson"), toNdjson(events));
    // The store and its series exist before the server opens it, with no rows yet.
    expect(runAgg(["list"], { cwd: dir }).code).toBe(0);
    const served = await startServe(dir, ["--workers", "2"]);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const problems: string[] = [];
    let responses = 0;
    let duringIngest = 0;
    // The highest count of each user in any response received so far: a request sent after
    // a response must see at least its counts (requests in flight together may come back in any order).
    const highest = new Map<string, number>();
    const seen = new Set<number>();
    try {
      let writing = true;
      const ingest = runAggAsync(["ingest", "--source", "transactions", "--file", "events.ndjson", "--batch-size", "500"], { cwd: dir }).finally(() => (writing = false));
      const body = {
        inputs: { "user.id": [...USERS, USERS[0]!, ...MERCHANTS.map((_, i) => USERS[i]!)], "merchant.id": [...USERS.map((_, i) => MERCHANTS[i % MERCHANTS.length]!), MERCHANTS[0]!, ...MERCHANTS] },
        outputs: [`user.txn_sum${W}`, `user.txn_count${W}`, `user.txn_mean${W}`, `merchant.txn_count${W}`],
        now: [...USERS.map(() => T), LATER, ...MERCHANTS.map(() => T)],
      };
      const one = async () => {
        const during = writing;
        const floor = new Map(highest);
        const answer = await call(served.port, "/v1/query/bulk", { body, agent });
        responses++;
        if (during) duringIngest++;
        if (answer.status !== 200) return void problems.push(`status ${answer.status}: ${answer.text.slice(0, 200)}`);
        const { data } = answer.json as { data: Record<string, unknown[]> };
        const sum = data[`user.txn_sum${W}`] as number[];
        const count = data[`user.txn_count${W}`] as number[];
        const mean = data[`user.txn_mean${W}`] as (number | null)[];
        const merchants = data[`merchant.txn_count${W}`] as number[];
        let users = 0;
        USERS.forEach((id, r) => {
          users += count[r]!;
          highest.set(id, Math.max(highest.get(id) ?? 0, count[r]!));
          if (count[r] === 0 ? mean[r] !== null || sum[r] !== 0 : mean[r] !== sum[r]! / count[r]!) problems.push(`${id}: mean ${mean[r]} but sum ${sum[r]} / count ${count[r]}`);
          if ((floor.get(id) ?? 0) > count[r]!) problems.push(`${id}: count went from ${floor.get(id)} down to ${count[r]}`);
        });
        const r0 = USERS.length;
        if (count[r0] !== count[0] || sum[r0] !== sum[0]) problems.push(`u0 at T and T + 1 s differ in one response: ${count[0]}/${sum[0]} and ${count[r0]}/${sum[r0]}`);
        const merchantTotal = merchants.slice(r0 + 1).reduce((a, n) => a + n, 0);
        if (merchantTotal !== users) problems.push(`the users' counts add up to ${users}, the merchants' to ${merchantTotal}`);
        seen.add(users);
      };
      do {
        await Promise.all([one(), one()]);
      } while (writing && problems.length < 20);
      const result = await ingest;
      expect(result.code, result.stderr).toBe(0);
      await one();
      expect(problems).toEqual([]);
      // The requests saw the store at many moments, ending with every event.
      expect(duringIngest).toBeGreaterThan(20);
      expect(seen.size).toBeGreaterThan(5);
      expect(Math.max(...seen)).toBe(events.length);
      expect(responses).toBeGreaterThan(duringIngest);
    } finally {
      agent.destroy();
      expect((await served.stop()).code).toBe(0);
    }
  });
});
