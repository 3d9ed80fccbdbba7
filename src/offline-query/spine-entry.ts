import { InstantError, parseInstant } from "../time/instant.js";

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A spine record's entity id and time (epoch ms), or why the row cannot be used. Ids are
 * text as ingest stores them (a number or bigint becomes its digits). Times are what
 * `--at` takes: ISO-8601 with a zone, a date, or epoch seconds (as text or a number);
 * a Parquet timestamp column (a Date) is its epoch milliseconds.
 */
export function spineEntry(cells: Readonly<Record<string, unknown>>, idColumn: string, timeColumn: string): { id: string; at: number } | string {
  const rawId = cells[idColumn];
  if (rawId === undefined || rawId === null || rawId === "") return `no id in column "${idColumn}"`;
  let id: string;
  if (typeof rawId === "string") id = rawId;
  else if ((typeof rawId === "number" && Number.isFinite(rawId)) || typeof rawId === "bigint") id = String(rawId);
  else return `the id in column "${idColumn}" must be text or a number, not ${describe(rawId)}`;
  if (LONE_SURROGATE.test(id)) return `the id ${JSON.stringify(id)} is not well-formed Unicode (it holds a lone surrogate), so no entity can have it`;
  const rawAt = cells[timeColumn];
  if (rawAt === undefined || rawAt === null || rawAt === "") return `no time in column "${timeColumn}"`;
  if (rawAt instanceof Date) {
    const ms = rawAt.getTime();
    return Number.isFinite(ms) ? { id, at: ms } : `the time in column "${timeColumn}" is an invalid date`;
  }
  if (typeof rawAt !== "string" && typeof rawAt !== "number" && typeof rawAt !== "bigint") return `the time in column "${timeColumn}" must be text, a number or a timestamp, not ${describe(rawAt)}`;
  try {
    return { id, at: parseInstant(String(rawAt)) };
  } catch (error) {
    if (error instanceof InstantError) return `column "${timeColumn}": ${error.message}`;
    throw error;
  }
}

function describe(value: unknown): string {
  return Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`;
}
