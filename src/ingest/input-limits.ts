import { AggError } from "../errors.js";

/** Bounds on one input message, so that one hostile line cannot stall agg or swell the store. */
export interface InputLimits {
  /** Bytes of UTF-8 in a primary key or a group key. */
  readonly maxKeyBytes: number;
  /** Bytes in one input line (NDJSON) or one CSV record (all its lines). */
  readonly maxRecordBytes: number;
  /** Columns in a CSV header. */
  readonly maxColumns: number;
}

export const DEFAULT_LIMITS: InputLimits = Object.freeze({ maxKeyBytes: 1024, maxRecordBytes: 64 * 1024 * 1024, maxColumns: 10_000 });

/** The environment variable that sets each limit. */
export const LIMIT_VARIABLES: Readonly<Record<keyof InputLimits, string>> = Object.freeze({
  maxKeyBytes: "AGG_MAX_KEY_BYTES",
  maxRecordBytes: "AGG_MAX_RECORD_BYTES",
  maxColumns: "AGG_MAX_CSV_COLUMNS",
});

/** The limits, each from its environment variable when set (a whole number >= 1), else the default. */
export function inputLimits(env: Readonly<Record<string, string | undefined>>): InputLimits {
  const read = (name: keyof InputLimits): number => {
    const variable = LIMIT_VARIABLES[name];
    const text = env[variable];
    if (text === undefined || text.trim() === "") return DEFAULT_LIMITS[name];
    const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
    if (!(n >= 1 && Number.isSafeInteger(n))) throw new AggError("usage", `invalid ${variable} "${text}"`, { hint: `set it to a whole number of at least 1, or unset it for the default ${DEFAULT_LIMITS[name]}` });
    return n;
  };
  return { maxKeyBytes: read("maxKeyBytes"), maxRecordBytes: read("maxRecordBytes"), maxColumns: read("maxColumns") };
}
