/**
 * agg's caches hold code it runs (jiti's compiled feature files) and data it trusts (the
 * validated project): they live in a folder of the user's own (AGG_CACHE_DIR here), and a
 * folder that another user owns or could write to is not used at all. The poisoned cache
 * of each case is real: from a trusted folder it does run (the control case).
 */
import { appendFileSync, chmodSync, chownSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace, tempDir } from "../helpers/cli.js";

const asRoot = process.getuid?.() === 0;

interface ListRow {
  readonly retention: string;
  readonly aggregation: string;
  readonly dependentFeatures: readonly string[];
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((name) => join(dir, name)).filter((path) => statSync(path).isFile());
}

/**
 * Makes every compiled file in `jitiDir` write `marker` when run. The code goes before
 * jiti's trailing version-and-hash comment, so jiti still takes the file as a cache hit.
 */
function poisonCompiled(jitiDir: string, marker: string): number {
  const compiled = files(jitiDir).filter((path) => /\.[cm]?js$/.test(path));
  for (const path of compiled) {
    const text = readFileSync(path, "utf8");
    const trailer = text.lastIndexOf(" /* v");
    writeFileSync(path, `${text.slice(0, trailer)}\n;require("node:fs").writeFileSync(${JSON.stringify(marker)}, "pwned");\n${text.slice(trailer)}`);
  }
  return compiled.length;
}

/** Doubles every window in the cached projects, keeping their keys: a trusted entry would be served as is. */
function poisonProjects(projectsDir: string): number {
  const entries = files(projectsDir).filter((path) => path.endsWith(".json"));
  for (const path of entries) {
    const cached = JSON.parse(readFileSync(path, "utf8")) as { windowed: { windows: number[]; materialization: { bucketFor: [number, number][] } | null }[] };
    for (const feature of cached.windowed) {
      feature.windows = feature.windows.map((w) => w * 2);
      if (feature.materialization) feature.materialization.bucketFor = feature.materialization.bucketFor.map(([w, b]) => [w * 2, b]);
    }
    writeFileSync(path, JSON.stringify(cached));
  }
  return entries.length;
}

const retentions = (stdout: string): string[] => (JSON.parse(stdout) as ListRow[]).map((row) => row.retention);

describe("cache folders another user could write are never used", () => {
  const ws = sampleWorkspace();
  const marker = join(ws, "pwned.txt");
  let truth = "";

  /** A cache folder filled by real runs, then poisoned: compiled code and project entries. */
  function poisonedCache(): string {
    const dir = join(tempDir("agg-cache-"), "cache");
    const env = { AGG_CACHE_DIR: dir };
    expect(runAgg(["check"], { cwd: ws, env }).code).toBe(0);
    expect(runAgg(["list", "--json"], { cwd: ws, env }).stdout).toBe(truth);
    expect(poisonCompiled(join(dir, "jiti"), marker)).toBeGreaterThanOrEqual(4);
    expect(poisonProjects(join(dir, "projects"))).toBe(1);
    return dir;
  }

  beforeAll(() => {
    const clean = runAgg(["list", "--json"], { cwd: ws, env: { AGG_CACHE_DIR: join(tempDir("agg-cache-"), "cache") } });
    expect(clean.code, clean.stderr).toBe(0);
    truth = clean.stdout;
    expect(retentions(truth)).toContain("30d");
  });

  it("control: from a folder of the user's own, the poisoned caches are used (so the refusals below are real)", () => {
    const dir = poisonedCache();
    const env = { AGG_CACHE_DIR: dir };
    const list = runAgg(["list", "--json"], { cwd: ws, env });
    expect(list.stderr).toBe("");
    expect(retentions(list.stdout)).toContain("60d");
    expect(existsSync(marker)).toBe(false);
    expect(runAgg(["check"], { cwd: ws, env }).code).toBe(0);
    expect(readFileSync(marker, "utf8")).toBe("pwned");
    rmSync(marker);
  });

  const refusals: { name: string; skip: boolean; refuse: (dir: string) => string; says: RegExp }[] = [
    { name: "owned by another user", skip: !asRoot, refuse: (dir) => (chownSync(dir, 65534, 65534), dir), says: /belongs to another user \(uid 65534, you are 0\).*remove it/ },
    { name: "mode 0777", skip: false, refuse: (dir) => (chmodSync(dir, 0o777), dir), says: /is writable by other users \(mode 777\).*remove it or chmod 700 it/ },
    { name: "group-writable (0770)", skip: false, refuse: (dir) => (chmodSync(dir, 0o770), dir), says: /is writable by other users \(mode 770\)/ },
    {
      name: "a symbolic link",
      skip: false,
      refuse: (dir) => {
        const link = join(dir, "..", "link");
        symlinkSync(dir, link);
        return link;
      },
      says: /is a symbolic link; .*remove the link/,
    },
  ];

  // Changing a folder's owner takes root (as on CI); the other cases run as anyone.
  it.each(refusals.filter((r) => !r.skip).map((r) => [r.name, r] as const))("a cache folder %s: agg works, warns once, runs none of its code and reads none of its data", (_, r) => {
    const dir = r.refuse(poisonedCache());
    const env = { AGG_CACHE_DIR: dir };
    const before = files(dir).map((path) => [path, readFileSync(path, "utf8")]);
    for (const args of [["list", "--json"], ["check"], ["query", "--feature", "user.txn_sum", "--id", "u1", "--at", "2024-03-01", "--json"]]) {
      const result = runAgg(args, { cwd: ws, env });
      expect(result.code, `${args.join(" ")}\n${result.stderr}`).toBe(0);
      expect(existsSync(marker), args.join(" ")).toBe(false);
      if (args[0] === "list" && args[1] === "--json") expect(result.stdout).toBe(truth);
      // Every command warns, once.
      expect(result.stderr).toMatch(r.says);
      expect(result.stderr.match(/warning: the cache folder/g)).toHaveLength(1);
      expect(result.stderr).toContain(`warning: the cache folder ${dir} `);
    }
    // Nothing was written there either.
    expect(files(dir).map((path) => [path, readFileSync(path, "utf8")])).toEqual(before);
  });

  it("a refused subfolder (jiti's) is not used; the project cache beside it still is", () => {
    const dir = poisonedCache();
    chmodSync(join(dir, "jiti"), 0o777);
    const env = { AGG_CACHE_DIR: dir };
    const check = runAgg(["check"], { cwd: ws, env });
    expect(check.code, check.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const list = runAgg(["list", "--json"], { cwd: ws, env });
    expect(list.stderr).toContain(`warning: the cache folder ${join(dir, "jiti")} is writable by other users (mode 777)`);
    // The project entry is the poisoned one, but its folder is sound: a trusted entry is used.
    expect(retentions(list.stdout)).toContain("60d");
  });
});

describe("a cache folder of the user's own", () => {
  it("is created owner-only under XDG_CACHE_HOME, and filled", () => {
    const xdg = tempDir("agg-xdg-");
    const ws = sampleWorkspace();
    const result = runAgg(["list"], { cwd: ws, env: { XDG_CACHE_HOME: xdg } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    for (const dir of ["agg", "agg/jiti", "agg/projects"]) {
      const stat = lstatSync(join(xdg, dir));
      expect(stat.isDirectory(), dir).toBe(true);
      expect(stat.mode & 0o777, dir).toBe(0o700);
    }
    expect(files(join(xdg, "agg", "jiti")).filter((path) => /\.[cm]?js$/.test(path)).length).toBeGreaterThanOrEqual(4);
    expect(files(join(xdg, "agg", "projects")).filter((path) => path.endsWith(".json"))).toHaveLength(1);
  });

  it("ignores a project entry whose key no longer matches the files' content (an edit that keeps size and mtime)", () => {
    const ws = sampleWorkspace();
    const dir = join(tempDir("agg-cache-"), "cache");
    const env = { AGG_CACHE_DIR: dir };
    const aggregationOf = (stdout: string, feature: string) => (JSON.parse(stdout) as ListRow[]).filter((row) => row.dependentFeatures.includes(feature)).map((row) => row.aggregation);
    const first = runAgg(["list", "--json"], { cwd: ws, env });
    expect(aggregationOf(first.stdout, "user.txn_max")).toEqual(["max"]);
    // A planted entry: edited data under the old key.
    expect(poisonProjects(join(dir, "projects"))).toBe(1);
    // The same number of bytes, the same mtime: only the content tells.
    const user = join(ws, "features", "user.ts");
    const { atime, mtime } = statSync(user);
    const text = readFileSync(user, "utf8");
    writeFileSync(user, text.replace("Transaction.amount.max()", "Transaction.amount.min()"));
    utimesSync(user, atime, mtime);
    expect(statSync(user).size).toBe(text.length);
    const second = runAgg(["list", "--json"], { cwd: ws, env });
    expect(second.code, second.stderr).toBe(0);
    expect(aggregationOf(second.stdout, "user.txn_max")).toEqual(["min"]);
    expect(retentions(second.stdout)).not.toContain("60d");
  });
});

describe("a cache folder that cannot be made", () => {
  it("warns and runs without caches", () => {
    const ws = sampleWorkspace();
    const blocker = join(tempDir("agg-cache-"), "file");
    appendFileSync(blocker, "not a folder");
    const result = runAgg(["list", "--json"], { cwd: ws, env: { AGG_CACHE_DIR: join(blocker, "cache") } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^warning: cannot create the cache folder .*ENOTDIR.*set AGG_CACHE_DIR/);
    JSON.parse(result.stdout);
  });
});
