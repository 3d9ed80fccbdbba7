import type { StandardResult, StandardSchemaV1 } from "../dsl/standard-schema.js";
import { AggError } from "../errors.js";
import type { InputMessage } from "./input-message.js";

type Issues = Extract<StandardResult<unknown>, { issues: unknown }>["issues"];

/**
 * Runs a stream resolver's message schema (any Standard Schema, zod included) on one
 * message. Returns the validated value or the validator's reasons as one sentence.
 *
 * CSV cells are text, so where the schema rejects a cell that reads as a JSON number or
 * boolean, it is retried as one; an empty cell the schema rejects as null is retried as
 * absent. A schema that wants text keeps the text ("007" stays "007").
 */
export function validateMessage(schema: StandardSchemaV1, message: Extract<InputMessage, { value: unknown }>, source: string, where?: string): { value: unknown } | { reason: string } {
  let result = run(schema, message.value, source, where);
  if (result.issues !== undefined && message.cells === true) {
    const retry = retypeCells(message.value as Record<string, string | null>, result.issues);
    if (retry !== null) result = run(schema, retry, source, where);
  }
  if (result.issues === undefined) return { value: result.value };
  return { reason: `invalid message: ${describeIssues(result.issues)}` };
}

function run(schema: StandardSchemaV1, value: unknown, source: string, where: string | undefined): StandardResult<unknown> {
  let result: StandardResult<unknown> | Promise<StandardResult<unknown>>;
  try {
    result = schema["~standard"].validate(value);
  } catch (error) {
    return { issues: [{ message: `the schema threw: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  if (typeof result !== "object" || result === null) {
    // Every message would fail the same way: the schema, not the input, is wrong.
    throw new AggError("project", `${schemaOf(source, where)} returned ${result === null ? "null" : typeof result} instead of a Standard Schema result`, {
      hint: "message must be a zod schema or another Standard Schema validator, whose validate returns { value } or { issues }",
    });
  }
  if (result instanceof Promise || typeof (result as { then?: unknown }).then === "function") {
    throw new AggError("project", `${schemaOf(source, where)} validates asynchronously`, {
      hint: "agg validates each message synchronously; remove async refinements and transforms from the schema",
    });
  }
  return result as StandardResult<unknown>;
}

/** How errors name the schema: `features/streams.ts:7: the message schema of stream resolver "payments"`. */
function schemaOf(source: string, where: string | undefined): string {
  return `${where === undefined || where === "" ? "" : `${where}: `}the message schema of stream resolver "${source}"`;
}

/** The cells the issues point at, read as JSON values; null when nothing changes. */
function retypeCells(cells: Record<string, string | null>, issues: Issues): Record<string, unknown> | null {
  const out: Record<string, unknown> = { ...cells };
  let changed = false;
  for (const issue of issues) {
    const key = issue.path?.[0];
    const name = typeof key === "object" && key !== null ? key.key : key;
    if (typeof name !== "string" || !Object.hasOwn(cells, name) || out[name] !== cells[name]) continue;
    const cell = cells[name];
    if (cell === null || cell === undefined) {
      delete out[name];
      changed = true;
      continue;
    }
    const typed = readCell(cell);
    if (typed !== undefined) {
      out[name] = typed;
      changed = true;
    }
  }
  return changed ? out : null;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function readCell(cell: string): number | boolean | undefined {
  const text = cell.trim();
  if (JSON_NUMBER.test(text)) return Number(text);
  if (text === "true") return true;
  if (text === "false") return false;
  return undefined;
}

/** `amount: expected number, received string; ts: required` (at most three issues). */
export function describeIssues(issues: Issues): string {
  const parts = issues.slice(0, 3).map((issue) => {
    const path = (issue.path ?? []).map((p) => String(typeof p === "object" && p !== null ? p.key : p)).join(".");
    return path === "" ? issue.message : `${path}: ${issue.message}`;
  });
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return `${parts.join("; ")}${more}`;
}
