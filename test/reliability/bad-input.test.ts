/**
 * The bad-input corpus (test/fixtures/bad-input/cases.json): every file through the real
 * `agg ingest`, in fail and in skip mode. Each bad message must get its documented exit
 * code, line and reason; each accepted one must be stored as documented; and the valid
 * messages around them (ids `<file>.b1 b2` before, `<file>.a1 a2` after) must all be in
 * the row log and in acct A's 10:00 bucket.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, tempDir, type CliResult } from "../helpers/cli.js";
import { inPool, runAggAsync } from "../fixtures/ingest/run-async.js";
import { readStore } from "../fixtures/ingest/store-snapshot.js";

const CORPUS = join(REPO, "test", "fixtures", "bad-input");

interface Case {
  readonly file: string;
  readonly format: "ndjson" | "csv";
  readonly source: "strict" | "loose";
  readonly about: string;
  readonly exit: { readonly fail: number; readonly skip: number };
  readonly rejected?: readonly { readonly line: number; readonly reason: string }[];
  /** The whole input is refused (a bad CSV header): this error, nothing read. */
  readonly fatal?: string;
  /** No messages at all. */
  readonly empty?: true;
  readonly accepted?: readonly { readonly id: string; readonly row: Record<string, unknown> }[];
  /** Row-log ids after each mode. */
  readonly kept: { readonly fail: readonly string[]; readonly skip: readonly string[] };
  /** acct A's 10:00 bucket when it is not the sum of the kept good messages (null: no bucket). */
  readonly bucket?: { readonly acct: string; readonly at: string; readonly sum: number | null; readonly count: number | null };
  /** Cannot be concatenated with other files (a BOM, no final newline, its own header, ...). */
  readonly alone?: true;
}

const CASES = JSON.parse(readFileSync(join(CORPUS, "cases.json"), "utf8")) as Case[];
const GOOD_X: Record<string, number> = { b1: 1, b2: 2, a1: 4, a2: 8 };
const HOUR_10 = Date.UTC(2024, 2, 1, 10);
const STACK = /\n\s+at .+:\d+/;

interface Run {
  readonly dir: string;
  readonly result: CliResult;
}

// One copy of the project for every run, so the TypeScript loader's cache (keyed by path)
// is warm after the first; each run gets its own folder, input and store.
let project: string | undefined;
let runs = 0;

function workspace(files: Record<string, Buffer | string>): string {
  if (project === undefined) {
    project = tempDir("agg-bad-input-");
    cpSync(join(CORPUS, "project"), join(project, "features"), { recursive: true });
  }
  const dir = join(project, `run-${++runs}`);
  mkdirSync(dir);
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
}

async function ingest(files: Record<string, Buffer | string>, input: string, c: Pick<Case, "format" | "source">, mode: "fail" | "skip"): Promise<Run> {
  const dir = workspace(files);
  const args = ["ingest", "--project", "../features", "--store", "store.db", "--source", c.source, "--format", c.format, "--file", input, "--batch-size", "2"];
  if (mode === "skip") args.push("--on-error", "skip", "--dead-letter", "dead.ndjson", "--json");
  return { dir, result: await runAggAsync(args, { cwd: dir }) };
}

const bytesOf = (c: Case) => readFileSync(join(CORPUS, c.file));
const store = (dir: string) => readStore(join(dir, "store.db"));

/** Row-log ids, and every row's stored content by id. */
function rowLog(dir: string): { ids: string[]; data: Map<string, Record<string, unknown>> } {
  const rows = store(dir).rows;
  return { ids: rows.map((r) => r.pk).sort(), data: new Map(rows.map((r) => [r.pk, JSON.parse(r.data) as Record<string, unknown>])) };
}

/** The (sum, count) of an account's 1h bucket in the acct series, null when there is none. */
function bucketOf(dir: string, acct: string, start: number): { sum: number | null; count: number | null } {
  const snapshot = store(dir);
  const series = snapshot.series.find((s) => JSON.stringify(s.keys) === '["acct"]')!;
  const bucket = snapshot.buckets.find((b) => b.series === series.id && b.keys[0] === acct && b.start === start);
  return bucket === undefined ? { sum: null, count: null } : { sum: bucket.values.sum as number, count: bucket.values.count as number };
}

/** What acct A's 10:00 bucket holds when exactly the good messages among `ids` were ingested. */
function goodBucket(ids: readonly string[]): { sum: number | null; count: number | null } {
  const goods = ids.map((id) => GOOD_X[id.slice(id.lastIndexOf(".") + 1)]).filter((x): x is number => x !== undefined);
  return goods.length === 0 ? { sum: null, count: null } : { sum: goods.reduce((a, b) => a + b, 0), count: goods.length };
}

function expectStored(dir: string, cases: readonly Case[], mode: "fail" | "skip"): void {
  const { ids, data } = rowLog(dir);
  expect(ids).toEqual(cases.flatMap((c) => c.kept[mode]).sort());
  for (const c of cases) for (const a of c.accepted ?? []) if (c.kept[mode].includes(a.id)) expect(data.get(a.id), a.id).toMatchObject(a.row);
  // A's 10:00 bucket holds exactly the good messages kept, unless a case says otherwise.
  const buckets = cases.flatMap((c) => (c.bucket === undefined ? [] : [c.bucket]));
  if (!buckets.some((b) => b.acct === "A")) expect(bucketOf(dir, "A", HOUR_10)).toEqual(goodBucket(ids));
  for (const b of buckets) expect(bucketOf(dir, b.acct, Math.floor(Date.parse(b.at) / 3_600_000) * 3_600_000), b.acct).toEqual({ sum: b.sum, count: b.count });
}

const isAlone = (c: Case) => c.alone === true || c.fatal !== undefined || c.empty === true;
const isRejecting = (c: Case) => c.exit.fail !== 0;

/**
 * Files that can share one run, in manifest order: same format, source and (for CSV)
 * header. Lines of later files move down by `offset`.
 */
function combine(cases: readonly Case[]): { text: Buffer; offsets: number[] } {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let lines = 0;
  for (const [i, c] of cases.entries()) {
    let bytes = bytesOf(c);
    let offset = lines;
    if (c.format === "csv" && i > 0) {
      bytes = bytes.subarray(bytes.indexOf(0x0a) + 1); // the header is shared
      offset = lines - 1;
    }
    parts.push(bytes);
    offsets.push(offset);
    lines += bytes.filter((b) => b === 0x0a).length;
  }
  return { text: Buffer.concat(parts), offsets };
}

function groups(cases: readonly Case[]): Case[][] {
  const out = new Map<string, Case[]>();
  for (const c of cases) {
    const header = c.format === "csv" ? bytesOf(c).subarray(0, bytesOf(c).indexOf(0x0a)).toString("latin1") : "";
    const key = `${c.format}|${c.source}|${header}`;
    out.set(key, [...(out.get(key) ?? []), c]);
  }
  return [...out.values()];
}

function firstError(stderr: string): string {
  return /^error: (.*)$/m.exec(stderr)?.[1] ?? "";
}

describe("the bad-input corpus", () => {
  it("holds at least 40 bad messages and files, each file listed once", () => {
    const bad = CASES.reduce((n, c) => n + (c.rejected?.length ?? 0) + (c.fatal !== undefined || c.empty ? 1 : 0), 0);
    expect(bad).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.file)).size).toBe(CASES.length);
    // A case that changes A's bucket must run alone, or it would change its neighbours' too.
    for (const c of CASES) if (c.bucket?.acct === "A") expect(c.alone, c.file).toBe(true);
  });
});

describe("--on-error fail: exit code, the first bad line and its reason; everything before it kept", () => {
  const single = CASES.filter((c) => isRejecting(c) || isAlone(c));
  const runs = new Map<string, Run>();
  const combined: { cases: Case[]; run: Run }[] = [];

  beforeAll(async () => {
    const accepted = groups(CASES.filter((c) => !isRejecting(c) && !isAlone(c)));
    await inPool(2, [
      ...single.map((c) => async () => void runs.set(c.file, await ingest({ [basename(c.file)]: bytesOf(c) }, basename(c.file), c, "fail"))),
      ...accepted.map((cases) => async () => void combined.push({ cases, run: await ingest({ [`all.${cases[0]!.format}`]: combine(cases).text }, `all.${cases[0]!.format}`, cases[0]!, "fail") })),
    ]);
  });

  it.each(single.map((c) => [c.file, c] as const))("%s", (file, c) => {
    const { dir, result } = runs.get(file)!;
    expect(result.code, result.stderr).toBe(c.exit.fail);
    expect(result.stderr).not.toMatch(STACK);
    const name = basename(file);
    const error = firstError(result.stderr);
    if (c.rejected !== undefined) {
      const first = c.rejected[0]!;
      expect(error.startsWith(`line ${first.line} of ${name}: `), error).toBe(true);
      expect(error).toContain(first.reason);
      expect(error.length).toBeLessThan(600);
    } else if (c.fatal !== undefined) {
      expect(error).toContain(c.fatal);
    } else if (c.empty) {
      expect(error).toBe(`no messages in ${name}`);
    } else {
      expect(error).toBe("");
    }
    expectStored(dir, [c], "fail");
  });

  it("files without bad messages are accepted together, in one run per format and source", () => {
    expect(combined.length).toBeGreaterThanOrEqual(2);
    for (const { cases, run } of combined) {
      expect(run.result.code, run.result.stderr).toBe(0);
      expectStored(run.dir, cases, "fail");
    }
  });
});

describe("--on-error skip: exit code, every bad line and reason in the dead letter; every good message kept", () => {
  const alone = CASES.filter(isAlone);
  const shared = groups(CASES.filter((c) => !isAlone(c)));
  const runs = new Map<Case[], Run>();

  beforeAll(async () => {
    await inPool(2, [
      ...alone.map((c) => async () => void runs.set([c], await ingest({ [basename(c.file)]: bytesOf(c) }, basename(c.file), c, "skip"))),
      ...shared.map((cases) => async () => void runs.set(cases, await ingest({ [`all.${cases[0]!.format}`]: combine(cases).text }, `all.${cases[0]!.format}`, cases[0]!, "skip"))),
    ]);
  });

  function expectSkipped(cases: Case[], { dir, result }: Run): void {
    const { offsets } = cases.length === 1 ? { offsets: [0] } : combine(cases);
    const expected = cases.flatMap((c, i) => (c.rejected ?? []).map((r) => ({ line: r.line + offsets[i]!, reason: r.reason })));
    expect(result.code, result.stderr).toBe(Math.max(...cases.map((c) => c.exit.skip)));
    expect(result.stderr).not.toMatch(STACK);
    if (result.code !== 0) {
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: "input", message: expect.stringContaining(cases[0]!.fatal!) } });
    } else {
      expect(JSON.parse(result.stdout)).toMatchObject({ rejected: expected.length });
      const dead = readFileSync(join(dir, "dead.ndjson"), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { line: number; reason: string; message: string });
      expect(dead.map((d) => d.line)).toEqual(expected.map((e) => e.line));
      dead.forEach((d, i) => {
        expect(d.reason).toContain(expected[i]!.reason);
        expect(d.message.endsWith("\r")).toBe(false);
      });
      if (cases.some((c) => c.empty)) expect(result.stderr).toContain("warning: no messages in");
    }
    expectStored(dir, cases, "skip");
  }

  it.each(alone.map((c) => [c.file, c] as const))("%s", (_, c) => {
    expectSkipped([c], [...runs].find(([cases]) => cases.length === 1 && cases[0] === c)![1]);
  });

  it.each(shared.map((cases) => [`${cases.length} ${cases[0]!.format} files for "${cases[0]!.source}" in one input`, cases] as const))("%s", (_, cases) => {
    expectSkipped(cases, runs.get(cases)!);
  });
});

describe("a 10 MB line", () => {
  const good = (id: string, x: number) => JSON.stringify({ id, acct: "A", x, ts: "2024-03-01T10:00:00Z" });
  const note = "n".repeat(10 * 1024 * 1024);

  it("is accepted whole when it is a valid message", async () => {
    const lines = [good("b1", 1), JSON.stringify({ id: "big", acct: "Z", note, ts: "2024-03-01T11:00:00Z" }), good("a1", 4)];
    const { dir, result } = await ingest({ "big.ndjson": lines.join("\n") + "\n" }, "big.ndjson", { format: "ndjson", source: "strict" }, "fail");
    expect(result.code, result.stderr).toBe(0);
    const { ids, data } = rowLog(dir);
    expect(ids).toEqual(["a1", "b1", "big"]);
    expect((data.get("big")!.note as string).length).toBe(note.length);
  });

  it("that is cut short is rejected at its line with a short reason, and the messages around it are kept", async () => {
    const lines = [good("b1", 1), `{"id":"big","acct":"A","note":"${note}`, good("a1", 4)];
    const fail = await ingest({ "big.ndjson": lines.join("\n") + "\n" }, "big.ndjson", { format: "ndjson", source: "strict" }, "fail");
    expect(fail.result.code).toBe(3);
    expect(firstError(fail.result.stderr)).toMatch(/^line 2 of big\.ndjson: malformed JSON: /);
    expect(fail.result.stderr.length).toBeLessThan(2000);
    expect(rowLog(fail.dir).ids).toEqual(["b1"]);

    const skip = await ingest({ "big.ndjson": lines.join("\n") + "\n" }, "big.ndjson", { format: "ndjson", source: "strict" }, "skip");
    expect(skip.result.code).toBe(0);
    expect(rowLog(skip.dir).ids).toEqual(["a1", "b1"]);
    expect(bucketOf(skip.dir, "A", HOUR_10)).toEqual({ sum: 5, count: 2 });
    const dead = JSON.parse(readFileSync(join(skip.dir, "dead.ndjson"), "utf8")) as { line: number; message: string };
    expect(dead.line).toBe(2);
    expect(dead.message).toBe(lines[1]);
  });
});
