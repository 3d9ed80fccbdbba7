import { describe, expect, test } from "vitest";
import { runAgg, tempDir } from "../helpers/cli.js";

describe("the agg program", () => {
  test("--help lists every command and exits 0", () => {
    const result = runAgg(["--help"], { cwd: tempDir() });
    expect(result.code).toBe(0);
    // The commands section only: the words also appear in descriptions and examples.
    const commands = result.stdout.split("\nCommands:\n")[1]!.split("\n\n")[0]!;
    const names = commands.split("\n").map((line) => /^ {2}(\S+)/.exec(line)?.[1]).filter((n) => n !== undefined);
    expect(names).toEqual(["aggregate", "list", "backfill", "ingest", "query", "offline-query", "serve", "check", "init", "help"]);
    const aggregate = runAgg(["aggregate", "--help"], { cwd: tempDir() }).stdout.split("\nCommands:\n")[1]!.split("\n\n")[0]!;
    expect(aggregate.split("\n").map((line) => /^ {2}(\S+)/.exec(line)?.[1]).filter((n) => n !== undefined)).toEqual(["list", "backfill", "jobs", "schedule", "help"]);
  });

  test.each([[], ["aggregate"], ["list"], ["aggregate", "backfill"], ["aggregate", "jobs"], ["aggregate", "schedule"], ["ingest"], ["query"], ["offline-query"], ["serve"], ["check"], ["init"]])("agg %s --help shows an example", (...command) => {
    const result = runAgg([...command, "--help"], { cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Examples:");
  });

  test("an unknown command or option is a usage error (exit 2)", () => {
    const unknown = runAgg(["frobnicate"], { cwd: tempDir() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const option = runAgg(["list", "--frob"], { cwd: tempDir() });
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--frob'");
  });
});
