/**
 * Durations (SPEC 1.5): whole numbers with units `w d h m s ms`, combined largest first
 * (`1h30m`, `1w 2d`), or `all` / `infinity` for an unbounded window. Everything is
 * integer milliseconds inside agg.
 */
import { TextParseError } from "../text-parse-error.js";

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

/** What `"all"` / `"infinity"` mean: 36,500 days, long enough for any real history. */
export const UNBOUNDED_MS = 36_500 * DAY_MS;

const UNITS: ReadonlyArray<readonly [unit: string, ms: number]> = [
  ["w", WEEK_MS],
  ["d", DAY_MS],
  ["h", HOUR_MS],
  ["m", MINUTE_MS],
  ["s", SECOND_MS],
  ["ms", 1],
];
const UNIT_MS = new Map(UNITS);
const ALLOWED = "whole numbers with units w, d, h, m, s, ms, largest first (\"1h30m\", \"1w 2d\"), or \"all\"";
const MONTH_UNITS = new Set(["mo", "mon", "mons", "month", "months"]);
const YEAR_UNITS = new Set(["y", "yr", "yrs", "year", "years"]);
// Spelled-out units we can translate, so the message can show the exact fix.
const UNIT_ALIASES = new Map<string, string>([
  ["wk", "w"], ["wks", "w"], ["week", "w"], ["weeks", "w"],
  ["day", "d"], ["days", "d"],
  ["hr", "h"], ["hrs", "h"], ["hour", "h"], ["hours", "h"],
  ["min", "m"], ["mins", "m"], ["minute", "m"], ["minutes", "m"],
  ["sec", "s"], ["secs", "s"], ["second", "s"], ["seconds", "s"],
  ["msec", "ms"], ["msecs", "ms"], ["millis", "ms"], ["millisecond", "ms"], ["milliseconds", "ms"],
]);

/** A duration that does not parse. Not an AggError: the caller knows the file:line. */
export class DurationError extends TextParseError {
  override readonly name = "DurationError";

  constructor(input: string, reason: string, hint = `Write durations as ${ALLOWED}.`) {
    super("duration", input, reason, hint);
  }
}

interface Part {
  num: string;
  unit: string;
}

const PART = /\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*/y;

/**
 * Parses a duration into milliseconds.
 * @example parseDuration("1h30m") // 5_400_000
 */
export function parseDuration(text: string): number {
  if (typeof text !== "string") {
    throw new DurationError(String(text), `expected a string such as "1h", got ${typeof text}`);
  }
  const trimmed = text.trim();
  if (trimmed === "") throw new DurationError(text, `a duration cannot be empty; write e.g. "1h" or "30m"`);
  const lower = trimmed.toLowerCase();
  if (lower === "all" || lower === "infinity") return UNBOUNDED_MS;
  if (/^[-−]/.test(trimmed)) {
    throw new DurationError(text, "negative durations are not allowed", "A window looks back from the query time; write a positive duration such as \"1h\".");
  }
  return checkParts(text, tokenize(text, trimmed));
}

function tokenize(input: string, trimmed: string): Part[] {
  const parts: Part[] = [];
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const at = PART.lastIndex;
    const m = PART.exec(trimmed);
    if (m === null) {
      throw new DurationError(input, `cannot read ${JSON.stringify(trimmed.slice(at))}; allowed are ${ALLOWED}`);
    }
    parts.push({ num: m[1] ?? "", unit: m[2] ?? "" });
  }
  return parts;
}

function checkParts(input: string, parts: Part[]): number {
  for (const { num, unit } of parts) {
    if (unit === "") {
      throw new DurationError(input, `${JSON.stringify(num)} has no unit; allowed units are w, d, h, m, s, ms`, `Add a unit, e.g. "${num}s" or "${num}m".`);
    }
    // "M" is months in most date libraries, so it gets the months message, not "write m".
    const months = unit === "M" || MONTH_UNITS.has(unit.toLowerCase());
    if (months || YEAR_UNITS.has(unit.toLowerCase())) {
      const what = months ? "months" : "years";
      throw new DurationError(input, `${what} are not allowed (their length varies); write days, e.g. "30d" or "365d"`, "Write long windows in days or weeks.");
    }
    if (!UNIT_MS.has(unit)) {
      if (fixUnit(unit) !== undefined) {
        // Check the respelled form too, so "1.5 hours" gets the decimals fix, not "1.5h".
        const respelled = checkParts(input, parts.map((p) => ({ num: p.num, unit: fixUnit(p.unit) ?? p.unit })));
        throw new DurationError(input, `unit ${JSON.stringify(unit)} is not allowed; write ${JSON.stringify(formatExact(respelled))}`);
      }
      throw new DurationError(input, `unknown unit ${JSON.stringify(unit)}; allowed units are w, d, h, m, s, ms`);
    }
  }
  if (parts.some((p) => p.num.includes("."))) {
    const exact = exactTotal(parts);
    const fix = exact !== undefined && exact > 0 ? `write ${JSON.stringify(formatExact(exact))}` : "use whole numbers of a smaller unit";
    throw new DurationError(input, `decimals are not allowed; ${fix}`);
  }
  const total = exactTotal(parts);
  if (total === undefined || total > UNBOUNDED_MS) {
    throw new DurationError(input, `longer than 36500d (100 years); write "all" for an unbounded window`);
  }
  for (let i = 1; i < parts.length; i++) {
    const prev = UNIT_MS.get(parts[i - 1]?.unit ?? "") ?? 0;
    const cur = UNIT_MS.get(parts[i]?.unit ?? "") ?? 0;
    if (cur >= prev) {
      const fix = total > 0 ? `; write ${JSON.stringify(formatExact(total))}` : "";
      throw new DurationError(input, `units must go from largest to smallest, each at most once${fix}`);
    }
  }
  if (total === 0) throw new DurationError(input, `a duration must be longer than zero; write e.g. "1s"`);
  return total;
}

function fixUnit(unit: string): string | undefined {
  if (UNIT_MS.has(unit)) return undefined;
  const lower = unit.toLowerCase();
  return UNIT_MS.has(lower) ? lower : UNIT_ALIASES.get(lower);
}

/** Exact total in ms (decimals allowed), or undefined when it is not a whole, safe number. */
function exactTotal(parts: Part[]): number | undefined {
  let total = 0n;
  for (const { num, unit } of parts) {
    const [whole = "", frac = ""] = num.split(".");
    const scaled = BigInt((whole || "0") + frac) * BigInt(UNIT_MS.get(unit) ?? 0);
    const denom = 10n ** BigInt(frac.length);
    if (scaled % denom !== 0n) return undefined;
    total += scaled / denom;
  }
  return total <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(total) : undefined;
}

/**
 * Shortest exact form: `86400000` -> `"1d"`, `5400000` -> `"1h30m"`, unbounded -> `"all"`.
 * Weeks are used only for whole weeks (`14d` -> `"2w"`, but `30d` stays `"30d"`).
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new RangeError(`not a positive integer duration: ${ms}`);
  return isUnbounded(ms) ? "all" : formatExact(ms);
}

function formatExact(ms: number): string {
  if (ms % WEEK_MS === 0) return `${ms / WEEK_MS}w`;
  let rest = ms;
  let out = "";
  for (const [unit, size] of UNITS) {
    if (size === WEEK_MS) continue;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** True for `"all"` windows (and anything at least that long). */
export function isUnbounded(ms: number): boolean {
  return ms >= UNBOUNDED_MS;
}
