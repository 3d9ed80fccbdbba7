/**
 * Property tests of the text parsers users feed (durations, feature names, times) and of
 * one message's whole path (validate -> resolve -> row check), beyond the "never throws
 * anything else" properties in test/unit: generated valid text parses to the value an
 * independent computation gives, and every fix an error message suggests actually parses
 * to the value that was meant.
 */
import fc from "fast-check";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isAggError } from "../../src/errors.js";
import { prepareMessage } from "../../src/ingest/prepare-message.js";
import { loadValidProject, projectSource } from "../../src/project/load-project.js";
import type { NamespaceModel, StreamModel } from "../../src/project/model.js";
import { FqnError, formatFeatureName, parseFeatureName } from "../../src/series/fqn.js";
import { DurationError, UNBOUNDED_MS, parseDuration } from "../../src/time/duration.js";
import { InstantError, MAX_EVENT_MS, parseEventTime, parseInstant } from "../../src/time/instant.js";
import { REPO } from "../helpers/cli.js";

const UNIT_MS: [string, number][] = [["w", 604_800_000], ["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1_000], ["ms", 1]];
const space = fc.constantFrom("", " ", "  ");

/** The `write "..."` a reason suggests (a JSON string), if any. */
function suggestion(reason: string): string | undefined {
  const quoted = /write ("(?:[^"\\]|\\.)*")/.exec(reason)?.[1];
  return quoted === undefined ? undefined : (JSON.parse(quoted) as string);
}

function durationError(text: string): DurationError {
  try {
    parseDuration(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DurationError);
    return error as DurationError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe("parseDuration", () => {
  /** Units largest first, each at most once, with whole numbers and optional spaces. */
  const parts = fc
    .subarray(UNIT_MS, { minLength: 1 })
    .chain((units) => fc.tuple(fc.constant(units), fc.array(fc.nat(1000), { minLength: units.length, maxLength: units.length }), fc.array(space, { minLength: units.length * 2, maxLength: units.length * 2 })));

  it("reads any combined duration as the sum of its parts", () => {
    fc.assert(
      fc.property(parts, space, ([units, values, gaps], lead) => {
        const text = lead + units.map(([unit], i) => `${values[i]}${gaps[2 * i]}${unit}${gaps[2 * i + 1]}`).join("");
        const total = units.reduce((sum, [, ms], i) => sum + ms * values[i]!, 0);
        if (total === 0) expect(durationError(text).reason).toMatch(/longer than zero/);
        else if (total > UNBOUNDED_MS) expect(durationError(text).reason).toMatch(/write "all"/);
        else expect(parseDuration(text)).toBe(total);
      }),
      { numRuns: 2000 },
    );
  });

  it("units out of order: the suggested form means the same time", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(UNIT_MS, { minLength: 2 }), fc.array(fc.integer({ min: 1, max: 99 }), { minLength: 6, maxLength: 6 }), (units, values) => {
        const sorted = units.every((u, i) => i === 0 || u[1] < units[i - 1]![1]);
        fc.pre(!sorted);
        const text = units.map(([unit], i) => `${values[i]}${unit}`).join("");
        const total = units.reduce((sum, [, ms], i) => sum + ms * values[i]!, 0);
        const fix = suggestion(durationError(text).reason);
        expect(fix, text).toBeDefined();
        expect(parseDuration(fix!)).toBe(total);
      }),
      { numRuns: 1000 },
    );
  });

  it("decimals: the suggested whole-number form means the same time, whenever there is one", () => {
    fc.assert(
      fc.property(fc.constantFrom(...UNIT_MS), fc.nat(500), fc.integer({ min: 1, max: 999 }), ([unit, ms], whole, frac) => {
        const text = `${whole}.${frac}${unit}`;
        const exact = (whole * 1000 + frac * 10 ** (3 - String(frac).length)) * ms; // thousandths of the unit
        const reason = durationError(text).reason;
        expect(reason).toMatch(/^decimals are not allowed; /);
        const fix = suggestion(reason);
        if (exact % 1000 !== 0 || exact / 1000 > UNBOUNDED_MS) return;
        expect(fix, text).toBeDefined();
        expect(parseDuration(fix!)).toBe(exact / 1000);
      }),
      { numRuns: 2000 },
    );
  });

  it("spelled-out and upper-case units: the suggested form means the same time", () => {
    const spelled: [string, number][] = [["week", 604_800_000], ["days", 86_400_000], ["Hours", 3_600_000], ["MIN", 60_000], ["secs", 1_000], ["H", 3_600_000], ["D", 86_400_000]];
    fc.assert(
      fc.property(fc.constantFrom(...spelled), fc.integer({ min: 1, max: 500 }), space, ([unit, ms], n, gap) => {
        const fix = suggestion(durationError(`${n}${gap}${unit}`).reason);
        expect(fix).toBeDefined();
        expect(parseDuration(fix!)).toBe(n * ms);
      }),
    );
  });
});

describe("parseFeatureName", () => {
  const ident = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,4}){0,2}$/);
  const window = fc.oneof(
    fc.integer({ min: 1, max: UNBOUNDED_MS / 1000 }).map((s) => ({ text: (ns: string, f: string) => `${ns}.${f}__${s}__`, ms: s * 1000 })),
    fc.tuple(fc.constantFrom(...UNIT_MS.slice(0, 5)), fc.integer({ min: 1, max: 99 })).map(([[unit, ms], n]) => ({ text: (ns: string, f: string) => `${ns}.${f}["${n}${unit}"]`, ms: n * ms })),
    fc.tuple(fc.constantFrom(...UNIT_MS.slice(0, 5)), fc.integer({ min: 1, max: 99 })).map(([[unit, ms], n]) => ({ text: (ns: string, f: string) => `${ns}.${f}__${n}${unit}__`, ms: n * ms })),
    fc.constant({ text: (ns: string, f: string) => `${ns}.${f}__all__`, ms: UNBOUNDED_MS }),
    fc.constant({ text: (ns: string, f: string) => `${ns}.${f}`, ms: null }),
  );

  it("reads every name form, and its canonical form reads back the same", () => {
    fc.assert(
      fc.property(ident, ident, window, (ns, feature, w) => {
        const parsed = parseFeatureName(w.text(ns, feature));
        expect(parsed).toEqual({ namespace: ns, feature, windowMs: w.ms });
        expect(parseFeatureName(formatFeatureName(parsed))).toEqual(parsed);
      }),
      { numRuns: 2000 },
    );
  });

  it("a name with upper case letters: the suggested name is the one meant", () => {
    fc.assert(
      fc.property(ident, ident, window, fc.nat(), (ns, feature, w, seed) => {
        const text = w.text(ns, feature);
        const letters = [...text].map((ch, i) => (/[a-z]/.test(ch) && (seed >> i % 30) & 1 ? ch.toUpperCase() : ch)).join("");
        fc.pre(letters !== text && !/__[0-9]*[A-Z]/.test(letters) && !/\["[^"]*[A-Z]/.test(letters));
        let error: unknown;
        try {
          parseFeatureName(letters);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(FqnError);
        expect(parseFeatureName(suggestion((error as FqnError).reason)!)).toEqual(parseFeatureName(text));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("times", () => {
  const iso = fc.record({
    year: fc.integer({ min: 1970, max: 9998 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }),
    offset: fc.oneof(fc.constant("Z"), fc.constant("z"), fc.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.boolean()).map(([s, h, m, colon]) => `${s}${String(h).padStart(2, "0")}${colon ? ":" : ""}${String(m).padStart(2, "0")}`)),
    separator: fc.constantFrom("T", "t", " "),
  });
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");

  it("parseInstant and parseEventTime read ISO-8601 with any offset as the instant it names", () => {
    fc.assert(
      fc.property(iso, (t) => {
        const text = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}${t.separator}${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${t.fraction === undefined ? "" : `.${t.fraction}`}${t.offset}`;
        const sign = t.offset.startsWith("-") ? -1 : 1;
        const offsetMin = /^[zZ]$/.test(t.offset) ? 0 : sign * (Number(t.offset.slice(1, 3)) * 60 + Number(t.offset.slice(-2)));
        const ms = Number((t.fraction ?? "").slice(0, 3).padEnd(3, "0"));
        const expected = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, ms) - offsetMin * 60_000;
        expect(parseInstant(text)).toBe(expected);
        const event = parseEventTime(text);
        expect(event).toEqual(expected >= 0 && expected <= MAX_EVENT_MS ? expected : expect.stringMatching(/^event time .* is (before 1970-01-01|after 9999-12-31)$/));
      }),
      { numRuns: 3000 },
    );
  });

  it("parseInstant throws nothing but InstantError; parseEventTime never throws and keeps its bounds", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9T:.+\-Zz ]{0,30}$/)), (text) => {
        try {
          expect(Number.isSafeInteger(parseInstant(text))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(InstantError);
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.double(), fc.date({ noInvalidDate: false }), fc.stringMatching(/^[0-9T:.+\-Z ]{0,30}$/)), (value) => {
        const result = parseEventTime(value);
        if (typeof result === "string") return;
        expect(Number.isSafeInteger(result) && result >= 0 && result <= MAX_EVENT_MS, String(result)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("one message, validate -> resolve -> row check", () => {
  let ns: NamespaceModel;
  const streams = new Map<string, StreamModel>();

  beforeAll(async () => {
    const project = await loadValidProject(projectSource(join(REPO, "test", "fixtures", "bad-input", "project")), { resolvers: true });
    ns = project.namespaces.get("ev")!;
    for (const name of ["strict", "loose", "getter", "fake_date"]) streams.set(name, project.streams.get(name)!);
  });

  const field = fc.oneof(fc.anything(), fc.double(), fc.string(), fc.constantFrom("2024-03-01T10:00:00Z", 1709287200000, "", null, -0, "1e999"));
  const message = fc.record({ id: field, acct: field, shop: field, n: field, x: field, flag: field, note: field, ts: field }, { requiredKeys: [] });
  const cells = fc.dictionary(fc.constantFrom("id", "acct", "shop", "n", "x", "flag", "note", "ts", "extra"), fc.option(fc.oneof(fc.string(), fc.constantFrom("1", "-0", "1e3", "true", "2024-03-01T10:00:00Z", " 7 ")), { nil: null }));

  it("is a row, a skip or a rejection with a reason, never an exception; a row is always storable", () => {
    fc.assert(
      fc.property(fc.constantFrom("strict", "loose", "getter", "fake_date"), fc.oneof(message, fc.anything()), fc.boolean(), cells, (source, value, csv, cellValue) => {
        const input = csv ? { line: 7, raw: "r", value: cellValue, cells: true } : { line: 7, raw: "r", value };
        let prepared: ReturnType<typeof prepareMessage>;
        try {
          prepared = prepareMessage(streams.get(source)!, ns, input);
        } catch (error) {
          throw new Error(`${source} threw ${isAggError(error) ? `AggError ${error.code}` : String(error)} for ${JSON.stringify(input)}`);
        }
        if (prepared.kind === "reject") expect(prepared.reason.length).toBeGreaterThan(0);
        if (prepared.kind !== "row") return;
        const { row } = prepared;
        expect(typeof row.pk === "string" && row.pk.length > 0).toBe(true);
        expect(Number.isSafeInteger(row.ts) && row.ts >= 0 && row.ts <= MAX_EVENT_MS).toBe(true);
        expect(JSON.parse(row.data)).toEqual(row.row);
        for (const value of Object.values(row.row)) expect(typeof value === "number" ? Number.isFinite(value) && !Object.is(value, -0) : true).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
