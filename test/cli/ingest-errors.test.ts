import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, tempDir, type CliResult } from "../helpers/cli.js";
import { inPool, runAggAsync } from "../fixtures/ingest/run-async.js";
import { readStore } from "../fixtures/ingest/store-snapshot.js";

const LEDGER = join(REPO, "test", "fixtures", "ingest", "ledger", "features");

const entry = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, account: "a1", shop: "s1", amount: 10.5, kind: null, ts: "2024-03-01T10:00:00Z", ...extra });

/**
 * Each bad message, the source that reads it, and the reason agg must give. Every case
 * runs in skip mode; `variant` cases (another form of a case already run) skip the
 * separate fail-mode run, to keep the file fast.
 */
const CASES: readonly { name: string; source: string; line: string; reason: RegExp; variant?: true; resolverFault?: true }[] = [
  { name: "malformed JSON", source: "ledger", line: '{"id": "b", "amount": NaN}', reason: /^malformed JSON: / },
  { name: "truncated JSON", source: "ledger", line: '{"id": "b", "account": "a1"', reason: /^malformed JSON: /, variant: true },
  { name: "not an object", source: "ledger", line: "42", reason: /^invalid message: .*expected object/, variant: true },
  { name: "missing field", source: "ledger", line: JSON.stringify({ id: "b", shop: "s1", amount: 1, kind: null, ts: "2024-03-01T10:00:00Z" }), reason: /^invalid message: account: .*expected string/ },
  { name: "wrong type", source: "ledger", line: entry("b", { amount: "12.5" }), reason: /^invalid message: amount: .*expected number/ },
  { name: "Infinity", source: "ledger", line: entry("b").replace("10.5", "1e999"), reason: /^invalid message: amount: / },
  { name: "unparseable time", source: "ledger", line: entry("b", { ts: "yesterday" }), reason: /^txn\.ts: event time "yesterday": not a recognised time/ },
  { name: "time without zone", source: "ledger", line: entry("b", { ts: "2024-03-01T10:00:00" }), reason: /^txn\.ts: .*needs a time zone/, variant: true },
  { name: "time before 1970", source: "ledger", line: entry("b", { ts: "0001-01-01T00:00:00Z" }), reason: /^txn\.ts: event time .* is before 1970-01-01/ },
  { name: "time after 9999", source: "ledger", line: entry("b", { ts: 1e17 }), reason: /^txn\.ts: event time .* is after 9999-12-31/, variant: true },
  { name: "resolver throws", source: "picky", line: entry("b", { amount: -5 }), reason: /^the resolver of "picky" threw: refunds are not supported$/ },
  { name: "resolver returns NaN", source: "picky", line: entry("b", { kind: "bad" }), reason: /^the resolver of "picky" \(features\/streams\.ts:\d+\) returned a row txn does not accept: txn\.amount: expected a finite number, got NaN$/, resolverFault: true },
  { name: "resolver returns no object", source: "picky", line: entry("b", { kind: "shape" }), reason: /^the resolver returned "not a row", not a row object \(the resolver of "picky" at features\/streams\.ts:\d+\)$/, resolverFault: true },
  { name: "resolver leaves out a feature", source: "picky", line: entry("b", { kind: "partial" }), reason: /^the resolver of "picky" \(features\/streams\.ts:\d+\) returned a row txn does not accept: txn\.ts is missing but not optional$/, variant: true },
];

const FAIL_CASES = CASES.filter((c) => c.variant !== true);

function workspace(lines: readonly string[]): string {
  const dir = tempDir("agg-ingest-bad-");
  cpSync(LEDGER, join(dir, "features"), { recursive: true });
  writeFileSync(join(dir, "events.ndjson"), lines.join("\n") + "\n");
  return dir;
}

const loggedIds = (dir: string) => readStore(join(dir, ".agg", "store.db")).rows.map((r) => r.pk).sort();

describe("agg ingest --on-error fail (default): stops at the first bad message and keeps the ones before it", () => {
  const results = new Map<string, { dir: string; result: CliResult }>();

  beforeAll(async () => {
    await inPool(
      2,
      FAIL_CASES.map((c) => async () => {
        // Good lines 1-2, the bad one on line 4 (after a blank line), good lines 5-6.
        const dir = workspace([entry("g1"), entry("g2"), "", c.line, entry("g3"), entry("g4")]);
        results.set(c.name, { dir, result: await runAggAsync(["ingest", "--source", c.source, "--file", "events.ndjson", "--batch-size", "1"], { cwd: dir }) });
      }),
    );
  });

  it.each(FAIL_CASES.map((c) => [c.name, c] as const))("%s: exit 3, names line 4 and the reason", (name, c) => {
    const { dir, result } = results.get(name)!;
    expect(result.code).toBe(3);
    const error = /^error: (.*)$/m.exec(result.stderr)?.[1] ?? "";
    expect(error.startsWith("line 4 of events.ndjson: ")).toBe(true);
    expect(error.slice("line 4 of events.ndjson: ".length)).toMatch(c.reason);
    if (c.resolverFault) {
      // A valid message the resolver turned into a bad row: the fix is in the resolver, not the input.
      expect(result.stderr).toMatch(/hint: the 2 messages before it were kept; the message is valid: fix the resolver at features\/streams\.ts:\d+ so its rows match/);
      expect(result.stderr).not.toContain("fix or remove line 4");
    } else {
      expect(result.stderr).toContain("hint: the 2 messages before it were kept; fix or remove line 4 and run the same command again (the kept messages are then duplicates and change nothing), or pass --on-error skip --dead-letter FILE to go past bad messages");
    }
    expect(result.stderr).toMatch(/2 inserted, 0 duplicates, 0 replaced, 1 rejected/);
    expect(loggedIds(dir)).toEqual(["g1", "g2"]);
  });

  it("keeps the earlier good messages of the same batch too", async () => {
    const dir = workspace([entry("g1"), entry("g2"), "not json", entry("g3")]);
    const result = await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: dir });
    expect(result.code).toBe(3);
    expect(loggedIds(dir)).toEqual(["g1", "g2"]);
  });

  it("with --json prints the error and the summary of what was kept on stdout", async () => {
    const dir = workspace([entry("g1"), "{"]);
    const result = await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson", "--json"], { cwd: dir });
    expect(result.code).toBe(3);
    const { error } = JSON.parse(result.stdout) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: "input", line: 2, summary: { messagesRead: 2, rowsInserted: 1, rejected: 1 } });
    expect(error.message).toMatch(/^line 2 of events\.ndjson: malformed JSON/);
  });
});

describe("agg ingest --on-error skip: goes on, counts and reports every bad message", () => {
  const lines = [entry("g1"), ...CASES.filter((c) => c.source === "ledger").map((c) => c.line), entry("g2")];

  it("exits 0, ingests the good messages, and names each skipped line and reason", async () => {
    const dir = workspace(lines);
    const result = await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson", "--on-error", "skip", "--dead-letter", "rejected.ndjson", "--json"], { cwd: dir });
    expect(result.code).toBe(0);
    const bad = CASES.filter((c) => c.source === "ledger");
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ messagesRead: lines.length, rowsInserted: 2, rejected: bad.length });
    expect(loggedIds(dir)).toEqual(["g1", "g2"]);
    const skipped = result.stderr.split("\n").filter((l) => l.startsWith("skipped "));
    expect(skipped).toHaveLength(Math.min(bad.length, 10));
    skipped.forEach((text, i) => expect(text.replace(`skipped line ${i + 2}: `, "")).toMatch(bad[i]!.reason));
    expect(result.stderr).toContain(`warning: ${bad.length} messages rejected (written to rejected.ndjson)`);

    const dead = readFileSync(join(dir, "rejected.ndjson"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as { line: number; reason: string; message: string });
    expect(dead.map((d) => d.line)).toEqual(bad.map((_, i) => i + 2));
    dead.forEach((d, i) => {
      expect(Object.keys(d)).toEqual(["line", "reason", "message"]);
      expect(d.reason).toMatch(bad[i]!.reason);
      expect(d.message).toBe(bad[i]!.line);
    });
  });

  it("skips resolver failures the same way", async () => {
    const picky = CASES.filter((c) => c.source === "picky");
    const dir = workspace([entry("g1"), ...picky.map((c) => c.line), entry("g2")]);
    const result = await runAggAsync(["ingest", "--source", "picky", "--file", "events.ndjson", "--on-error", "skip", "--dead-letter", "dead.ndjson"], { cwd: dir });
    expect(result.code).toBe(0);
    picky.forEach((c, i) => expect(result.stderr).toMatch(new RegExp(`^skipped line ${i + 2}: ${c.reason.source.slice(1, -1)}$`, "m")));
    expect(result.stderr).toContain(`2 inserted, 0 duplicates, 0 replaced, ${picky.length} rejected`);
    expect(readFileSync(join(dir, "dead.ndjson"), "utf8").trimEnd().split("\n")).toHaveLength(picky.length);
    expect(loggedIds(dir)).toEqual(["g1", "g2"]);
  });
});

describe("a resolver that can never work", () => {
  it("returning a Promise is a project error (exit 2, even with skip), and the messages before it are kept", async () => {
    for (const mode of ["fail", "skip"]) {
      const dir = workspace([entry("g1"), entry("g2"), entry("b", { kind: "async" }), entry("g3")]);
      const result = await runAggAsync(["ingest", "--source", "picky", "--file", "events.ndjson", "--batch-size", "1", "--on-error", mode], { cwd: dir });
      expect(result.code, mode).toBe(2);
      expect(result.stderr).toContain('error: features/streams.ts:38: the resolver of stream "picky" returned a Promise');
      expect(result.stderr).toContain("hint: resolve must return a row of txn (or null) synchronously");
      expect(result.stderr).not.toMatch(/\n\s+at .+:\d+/);
      expect(loggedIds(dir)).toEqual(["g1", "g2"]);
    }
  });
});
