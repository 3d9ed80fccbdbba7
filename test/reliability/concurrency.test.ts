/**
 * Several processes on one store (SPEC 3): two `agg ingest` runs and a loop of
 * `agg backfill` runs write at once while this process reads in a loop through
 * prepareQuery on its own SQLite connection, and `agg query --json` runs alongside.
 * No reader may see an error or a torn value, and the final store must equal one
 * clean ingest of all the messages.
 *
 * The stream only inserts (every id once), and every event lies inside the 30d window
 * at T, so every count read can only grow. A torn value would show as a mean that is
 * not sum / count of the same answer, or a count that shrinks.
 */
import { cpSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { loadValidProject, projectSource } from "../../src/project/load-project.js";
import { prepareQuery } from "../../src/query/prepare-query.js";
import { deriveSeries } from "../../src/series/derive.js";
import { openDatabase, type Db } from "../../src/store/sqlite/open-store.js";
import { SAMPLE_PROJECT, runAgg, tempDir, type CliResult } from "../helpers/cli.js";
import { generateTransactions, type TestTransaction } from "../helpers/events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { countRows, readStore } from "../fixtures/ingest/store-snapshot.js";

const PER_INGESTER = 4_000;
const DAY = 86_400_000;
const START = Date.UTC(2024, 1, 1);
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);
const MERCHANTS = Array.from({ length: 8 }, (_, i) => `m${i}`);
const W = "__2592000__"; // 30d
const FEATURES = [`user.txn_sum${W}`, `user.txn_count${W}`, `user.txn_mean${W}`, `merchant.txn_count${W}`];

const events = generateTransactions({ count: 2 * PER_INGESTER, seed: 5, users: USERS.length, merchants: MERCHANTS.length, start: START, spanMs: 20 * DAY });
const T = Math.max(...events.map((e) => Date.parse(e.ts)));
const ndjson = (rows: readonly TestTransaction[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** Independent of agg: each user's count and sum, each merchant's count, over every event. */
function reference() {
  const count = new Map<string, number>();
  const merchants = new Map<string, number>();
  for (const e of events) {
    count.set(e.user_id, (count.get(e.user_id) ?? 0) + 1);
    merchants.set(e.merchant_id, (merchants.get(e.merchant_id) ?? 0) + 1);
  }
  return { count, merchants };
}

interface Answer {
  readonly users: ReadonlyMap<string, { sum: number; count: number; mean: number | null }>;
  readonly merchantTotal: number;
}

/** Checks one answer on its own; returns it in a shape the next answer is compared with. */
function checkAnswer(values: (id: string) => Record<string, unknown>, problems: string[]): Answer {
  const users = new Map<string, { sum: number; count: number; mean: number | null }>();
  for (const id of USERS) {
    const v = values(id);
    const sum = v[`user.txn_sum${W}`] as number;
    const count = v[`user.txn_count${W}`] as number;
    const mean = v[`user.txn_mean${W}`] as number | null;
    if (count === 0 ? mean !== null || sum !== 0 : mean !== sum / count) problems.push(`${id}: mean ${mean} but sum ${sum} / count ${count}`);
    users.set(id, { sum, count, mean });
  }
  const merchantTotal = MERCHANTS.reduce((n, id) => n + (values(id)[`merchant.txn_count${W}`] as number), 0);
  return { users, merchantTotal };
}

function checkProgress(before: Answer | null, after: Answer, problems: string[]): void {
  if (before === null) return;
  for (const [id, u] of after.users) {
    const was = before.users.get(id)!;
    if (u.count < was.count) problems.push(`${id}: count went from ${was.count} down to ${u.count}`);
  }
}

describe("two ingesters and backfills on one store, with readers", () => {
  const dir = tempDir("agg-concurrency-");
  const store = join(dir, ".agg", "store.db");
  let db: Db | undefined;
  afterAll(() => db?.close());

  it("readers never see an error or a torn value, and the end state equals one clean run", { timeout: 300_000 }, async () => {
    cpSync(SAMPLE_PROJECT, join(dir, "features"), { recursive: true });
    // Split by user, so the two ingesters write the same buckets of the merchant series.
    writeFileSync(join(dir, "a.ndjson"), ndjson(events.filter((e) => Number(e.user_id.slice(1)) % 2 === 0)));
    writeFileSync(join(dir, "b.ndjson"), ndjson(events.filter((e) => Number(e.user_id.slice(1)) % 2 === 1)));
    writeFileSync(join(dir, "all.ndjson"), ndjson(events));
    writeFileSync(join(dir, "ids.txt"), [...USERS, ...MERCHANTS].join("\n"));
    const project = await loadValidProject(projectSource(join(dir, "features")));
    const defs = deriveSeries(project);

    // The store exists (and has its series) before the writers start, so readers can open it.
    expect((await runAggAsync(["list"], { cwd: dir })).code).toBe(0);

    let writing = true;
    const ingest = (file: string) => runAggAsync(["ingest", "--source", "transactions", "--file", file, "--batch-size", "100"], { cwd: dir });
    const writers = Promise.all([ingest("a.ndjson"), ingest("b.ndjson")]).finally(() => (writing = false));

    const backfills: CliResult[] = [];
    const backfillLoop = (async () => {
      while (countRows(store) === 0 && writing) await sleep(10);
      while (writing) backfills.push(await runAggAsync(["backfill", "--json"], { cwd: dir }));
    })();

    const cliAnswers: CliResult[] = [];
    const cliLoop = (async () => {
      while (writing) {
        cliAnswers.push(await runAggAsync(["query", ...FEATURES.flatMap((f) => ["--feature", f]), "--ids-file", "ids.txt", "--at", new Date(T).toISOString(), "--json"], { cwd: dir }));
      }
    })();

    const problems: string[] = [];
    let reads = 0;
    let readsWhileWriting = 0;
    let previous: Answer | null = null;
    db = openDatabase(store, { mustExist: true });
    const ids = [...USERS, ...MERCHANTS];
    do {
      const during = writing;
      try {
        const result = prepareQuery(db, project, defs, FEATURES).run(ids, T);
        const byId = new Map(result.rows.map((r) => [r.id, r.values]));
        const answer = checkAnswer((id) => byId.get(id)!, problems);
        checkProgress(previous, answer, problems);
        previous = answer;
      } catch (error) {
        problems.push(`read ${reads} failed: ${String(error)}`);
      }
      reads++;
      if (during) readsWhileWriting++;
      await sleep(1); // let the other loops' processes be started and reaped
    } while (writing && problems.length < 20);

    const [a, b] = await writers;
    await Promise.all([backfillLoop, cliLoop]);
    expect(problems).toEqual([]);
    expect([a.code, b.code, a.stderr + b.stderr]).toEqual([0, 0, expect.not.stringContaining("error")]);
    for (const run of backfills) expect(run.code, run.stderr).toBe(0);

    let cliPrevious: Answer | null = null;
    for (const run of cliAnswers) {
      expect(run.code, run.stderr).toBe(0);
      const rows = new Map((JSON.parse(run.stdout) as { rows: { id: string; values: Record<string, unknown> }[] }).rows.map((r) => [r.id, r.values]));
      const answer = checkAnswer((id) => rows.get(id)!, problems);
      checkProgress(cliPrevious, answer, problems);
      cliPrevious = answer;
    }
    expect(problems).toEqual([]);

    // The final answer is exact, and the store equals one clean ingest of everything.
    const ref = reference();
    const final = prepareQuery(db, project, defs, FEATURES).run(ids, T);
    for (const row of final.rows) {
      if (row.id.startsWith("u")) expect(row.values[`user.txn_count${W}`], row.id).toBe(ref.count.get(row.id) ?? 0);
      else expect(row.values[`merchant.txn_count${W}`], row.id).toBe(ref.merchants.get(row.id) ?? 0);
    }
    const cleanDir = tempDir("agg-concurrency-clean-");
    cpSync(SAMPLE_PROJECT, join(cleanDir, "features"), { recursive: true });
    writeFileSync(join(cleanDir, "all.ndjson"), ndjson(events));
    expect((await runAggAsync(["ingest", "--source", "transactions", "--file", "all.ndjson"], { cwd: cleanDir })).code).toBe(0);
    const clean = readStore(join(cleanDir, ".agg", "store.db"));
    const shared = readStore(store);
    expect(shared.rows).toEqual(clean.rows);
    expect(shared.buckets).toEqual(clean.buckets);

    // Guards the test itself: the loops really ran while the ingesters were writing.
    expect(readsWhileWriting).toBeGreaterThan(20);
    expect(backfills.length).toBeGreaterThan(0);
    expect(cliAnswers.length).toBeGreaterThan(0);
    expect(existsSync(store)).toBe(true);
  });
});

/**
 * `db` with a hook that runs before every statement execution after the first while
 * `armed` is set: the place a concurrent writer's commit can fall between two reads.
 */
function interleaving(db: Db, between: () => void): { db: Db; arm(on: boolean): void } {
  let armed = false;
  let executions = 0;
  const wrapStatement = <S extends object>(statement: S): S =>
    new Proxy(statement, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (armed && ["all", "get", "iterate"].includes(String(prop)) && ++executions === 2) between();
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result === target ? proxy : result;
        };
      },
    });
  let proxy: unknown;
  const wrapped = new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === "prepare") return (sql: string) => (proxy = wrapStatement(target.prepare(sql)));
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    db: wrapped,
    arm(on) {
      armed = on;
      executions = 0;
    },
  };
}

describe("one query answer is one snapshot of the store", () => {
  // prepareQuery().run reads each (series, bucket size) group with its own statement; a
  // commit landing between two of them must not show in one feature's value and not in
  // another's (`user.txn_count` and `merchant.txn_count` of one answer count the same
  // rows). The reads run in one read transaction for that.
  it("a commit between two reads of one run is either wholly seen or not at all", async () => {
    const dir = tempDir("agg-snapshot-");
    cpSync(SAMPLE_PROJECT, join(dir, "features"), { recursive: true });
    const first = events.slice(0, 200);
    writeFileSync(join(dir, "first.ndjson"), ndjson(first));
    const late = { ...events[0]!, id: "late-1" };
    writeFileSync(join(dir, "late.ndjson"), ndjson([late]));
    expect(runAgg(["ingest", "--source", "transactions", "--file", "first.ndjson"], { cwd: dir }).code).toBe(0);

    const project = await loadValidProject(projectSource(join(dir, "features")));
    const store = openDatabase(join(dir, ".agg", "store.db"), { mustExist: true });
    try {
      // Another process commits one more transaction between this query's reads.
      let injected = 0;
      const hooked = interleaving(store, () => {
        injected++;
        expect(runAgg(["ingest", "--source", "transactions", "--file", "late.ndjson"], { cwd: dir }).code).toBe(0);
      });
      const query = prepareQuery(hooked.db, project, deriveSeries(project), [`user.txn_count${W}`, `merchant.txn_count${W}`]);
      hooked.arm(true);
      const result = query.run([...USERS, ...MERCHANTS], T);
      hooked.arm(false);
      const total = (prefix: string, fqn: string) => result.rows.filter((r) => r.id.startsWith(prefix)).reduce((n, r) => n + (r.values[fqn] as number), 0);
      const byUser = total("u", `user.txn_count${W}`);
      const byMerchant = total("m", `merchant.txn_count${W}`);
      // Guards the test itself: the other process did commit between two of the reads.
      expect(injected).toBe(1);
      expect([first.length, first.length + 1]).toContain(byUser);
      expect(byMerchant).toBe(byUser);
      // The next run sees that commit.
      const next = query.run([...USERS], T).rows.reduce((n, r) => n + (r.values[`user.txn_count${W}`] as number), 0);
      expect(next).toBe(first.length + 1);
    } finally {
      store.close();
    }
  });
});
