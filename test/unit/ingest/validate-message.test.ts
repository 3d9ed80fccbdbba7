import { describe, expect, it } from "vitest";
import { z } from "zod";
import { validateMessage } from "../../../src/ingest/validate-message.js";

const schema = z.object({ id: z.string(), amount: z.number(), ok: z.boolean().optional(), note: z.string().nullable(), tag: z.string().optional() });
const json = (value: unknown) => ({ line: 1, raw: "", value });
const csv = (value: Record<string, string | null>) => ({ line: 1, raw: "", value, cells: true });

describe("validateMessage", () => {
  it("returns the schema's output for a valid message", () => {
    expect(validateMessage(schema, json({ id: "007", amount: 1.5, note: null }), "s")).toEqual({ value: { id: "007", amount: 1.5, note: null } });
  });

  it("names the path and the validator's message of each issue", () => {
    const result = validateMessage(schema, json({ amount: "12", note: null }), "s");
    expect(result).toHaveProperty("reason");
    const reason = (result as { reason: string }).reason;
    expect(reason).toMatch(/^invalid message: id: .*expected string.*; amount: .*expected number/);
  });

  it("rejects Infinity (1e999 in JSON) through the schema", () => {
    expect(validateMessage(schema, json({ id: "a", amount: JSON.parse("1e999"), note: null }), "s")).toHaveProperty("reason");
  });

  it("reads CSV cells as numbers and booleans only where the schema rejects the text", () => {
    const result = validateMessage(schema, csv({ id: "007", amount: "-12.50", ok: "true", note: null, tag: null }), "s");
    expect(result).toEqual({ value: { id: "007", amount: -12.5, ok: true, note: null } });
  });

  it("keeps a CSV cell that is not a JSON number as text, and says so", () => {
    const result = validateMessage(schema, csv({ id: "a", amount: "NaN", note: "x", tag: "t" }), "s") as { reason: string };
    expect(result.reason).toMatch(/^invalid message: amount: .*expected number/);
  });

  it("refuses an asynchronous schema as a project error", () => {
    const asyncSchema = z.object({ id: z.string() }).refine(async () => true);
    expect(() => validateMessage(asyncSchema, json({ id: "a" }), "payments")).toThrow(/the message schema of stream resolver "payments" validates asynchronously/);
    expect(() => validateMessage(asyncSchema, json({ id: "a" }), "payments", "features/streams.ts:7")).toThrow('features/streams.ts:7: the message schema of stream resolver "payments" validates asynchronously');
  });
});
