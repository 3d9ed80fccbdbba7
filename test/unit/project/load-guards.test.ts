import { describe, expect, it } from "vitest";
import { exitCaller } from "../../../src/project/exit-watch.js";
import { LoadTimedOut, loadTimeoutMs, settleWithin, trapExit, withinTime } from "../../../src/project/load-guards.js";
import { redirectConsole } from "../../../src/project/redirect-console.js";

describe("the load guards", () => {
  it("AGG_LOAD_TIMEOUT_MS: a positive whole number of ms, else 30 s", () => {
    expect(loadTimeoutMs({})).toBe(30_000);
    expect(loadTimeoutMs({ AGG_LOAD_TIMEOUT_MS: "2500" })).toBe(2500);
    for (const bad of ["", "0", "-1", "1.5", "soon"]) expect(loadTimeoutMs({ AGG_LOAD_TIMEOUT_MS: bad }), bad).toBe(30_000);
    expect(loadTimeoutMs({ AGG_LOAD_TIMEOUT_MS: "1e12" })).toBe(2 ** 31 - 1);
  });

  it("withinTime stops a synchronous endless loop, and passes values and errors through", () => {
    const started = Date.now();
    expect(() =>
      withinTime(() => {
        for (;;);
      }, 200),
    ).toThrow(LoadTimedOut);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(withinTime(() => ({ ok: 1 }), 1000)).toEqual({ ok: 1 });
    expect(() => withinTime(() => JSON.parse("{"), 1000)).toThrow(SyntaxError);
    expect(withinTime(() => withinTime(() => 1, 1000) + withinTime(() => 2, 1000), 1000)).toBe(3);
  });

  it("settleWithin gives up on a promise that never settles", async () => {
    await expect(settleWithin(new Promise(() => {}), 50)).rejects.toThrow(LoadTimedOut);
    await expect(settleWithin(Promise.resolve(7), 50)).resolves.toBe(7);
  });

  it("trapExit: process.exit throws and is recorded, even when caught; release restores it", () => {
    const exit = process.exit;
    const trap = trapExit();
    try {
      expect(() => process.exit(3)).toThrow(/process\.exit\(3\)/);
      try {
        process.exit();
      } catch {
        // a feature file that swallows the error is still caught out
      }
    } finally {
      trap.release();
    }
    expect(trap.calls.map((c) => c.code)).toEqual([3, undefined]);
    expect(process.exit).toBe(exit);
  });

  it("exitCaller: the frame that called process.exit, unless it is agg's own", () => {
    const frames = (caller: string) => ["Error", "    at process.onExit (file:///x/dist/project/exit-watch.js:41:18)", "    at process.emit (node:events:524:28)", "    at process.exit (node:internal/process/per_thread:184:15)", caller, "    at prepareMessage (/x/src/ingest/prepare-message.ts:24:23)"].join("\n");
    expect(exitCaller(frames("    at Object.resolve (/p/features/streams.ts:17:28)"))).toBe("/p/features/streams.ts:17");
    expect(exitCaller(frames("    at file:///p/features/streams.ts:9:3"))).toBe("/p/features/streams.ts:9");
    expect(exitCaller("Error\n    at process.onExit (x.js:1:1)\n    at process.emit (node:events:524:28)")).toBeNull();
    const own = new URL("../../../src/cli/main.ts", import.meta.url).pathname;
    expect(exitCaller(frames(`    at WriteStream.<anonymous> (${own}:33:15)`))).toBeNull();
  });

  it("redirectConsole: log, info and debug go to the writer until restored; nested ones write to the latest", () => {
    const original = console.log;
    const outer: string[] = [];
    const inner: string[] = [];
    const restoreOuter = redirectConsole((text) => outer.push(text));
    console.log("a", { b: 1 });
    const restoreInner = redirectConsole((text) => inner.push(text));
    console.info("c");
    restoreInner();
    console.debug("d %d", 4);
    restoreOuter();
    expect(outer).toEqual(["a { b: 1 }", "d 4"]);
    expect(inner).toEqual(["c"]);
    expect(console.log).toBe(original);
  });
});
