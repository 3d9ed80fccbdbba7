/**
 * SIGINT and SIGTERM during `agg ingest`: it stops between two messages, commits what it
 * read, says what was committed (messages read, rows committed, the last committed line,
 * that running it again is safe) and exits 130 / 143; with --json the summary says so on
 * stdout. Running the same input again completes the store.
 */
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, SAMPLE_PROJECT, startAgg, tempDir } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";
import { countRows } from "../fixtures/ingest/store-snapshot.js";

const MESSAGES = 200_000;

describe("agg ingest stopped by a signal", () => {
  const dir = tempDir("agg-signal-");
  beforeAll(() => {
    cpSync(SAMPLE_PROJECT, join(dir, "features"), { recursive: true });
    writeFileSync(join(dir, "events.ndjson"), toNdjson(generateTransactions({ count: MESSAGES, seed: 7, users: 500, merchants: 20 })));
  });

  /** Starts an ingest, waits until it has committed some rows, sends `signal`, and waits for the end. */
  async function interrupt(store: string, signal: NodeJS.Signals, json: boolean) {
    const child = startAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--store", store, "--batch-size", "2000", ...(json ? ["--json"] : [])], { cwd: dir });
    child.stdin.end();
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("close", (code, sig) => resolve({ code, signal: sig })));
    const path = join(dir, store);
    const deadline = Date.now() + 60_000;
    while (countRows(path) === 0 && Date.now() < deadline) await sleep(20);
    const before = countRows(path);
    expect(before).toBeGreaterThan(0);
    child.kill(signal);
    const end = await closed;
    return { ...end, stdout, stderr, before, stored: countRows(path) };
  }

  it("SIGINT: exit 130, and the text on stderr says what was committed", async () => {
    const run = await interrupt("int.db", "SIGINT", false);
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).toBe("");
    const said = /interrupted: SIGINT stopped the ingest: ([\d,]+) messages read, ([\d,]+) rows committed, through line ([\d,]+) of events\.ndjson; running the same command again is safe/.exec(run.stderr);
    expect(said, run.stderr).not.toBeNull();
    const [read, committed, line] = said!.slice(1).map((x) => Number(x.replaceAll(",", "")));
    expect(committed).toBe(run.stored);
    expect(committed).toBeGreaterThanOrEqual(run.before);
    expect(committed).toBeLessThan(MESSAGES);
    // Every message read was committed: one message per line, none rejected.
    expect(read).toBe(committed);
    expect(line).toBe(committed);
    expect(run.stderr).toContain(`rows:    ${committed!.toLocaleString("en-US")} inserted`);

    // Running it again is safe: the committed messages are duplicates, the rest is inserted.
    const again = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--store", "int.db", "--json"], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout) as { duplicates: number; rowsInserted: number };
    expect(summary.duplicates).toBe(committed);
    expect(summary.rowsInserted).toBe(MESSAGES - committed!);
    expect(countRows(join(dir, "int.db"))).toBe(MESSAGES);
  });

  it("SIGTERM with --json: exit 143, the JSON summary on stdout says where it stopped", async () => {
    const run = await interrupt("term.db", "SIGTERM", true);
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).toBe(143);
    const summary = JSON.parse(run.stdout) as { messagesRead: number; rowsInserted: number; interrupted: { signal: string; rowsCommitted: number; lastCommittedLine: number } };
    expect(summary.interrupted.signal).toBe("SIGTERM");
    expect(summary.interrupted.rowsCommitted).toBe(run.stored);
    expect(summary.rowsInserted).toBe(run.stored);
    expect(summary.interrupted.lastCommittedLine).toBe(summary.messagesRead);
    expect(summary.messagesRead).toBeLessThan(MESSAGES);
    expect(run.stderr).toMatch(/interrupted: SIGTERM stopped the ingest: [\d,]+ messages read, [\d,]+ rows committed, through line [\d,]+ of events\.ndjson; running the same command again is safe/);
  });
});
