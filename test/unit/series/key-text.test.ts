import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keysOfText, keyTextOf, keyTextOfKeys } from "../../../src/series/key-text.js";

const key = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom("a", "1", ":", "|", "é", " ") });

describe("group key text", () => {
  it("gives the keys back, and different keys never share a text", () => {
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 4 }), fc.array(key, { minLength: 1, maxLength: 4 }), (a, b) => {
        expect(keysOfText(keyTextOfKeys(a), a.length)).toEqual(a);
        if (a.length === b.length && a.some((k, i) => k !== b[i])) expect(keyTextOfKeys(a)).not.toBe(keyTextOfKeys(b));
      }),
    );
  });

  it("reads a row's keys as groupKeyOf does: strings of the values, none when one is missing or empty", () => {
    expect(keyTextOf(["user_id", "n"], { user_id: "u1", n: 12 })).toBe(keyTextOfKeys(["u1", "12"]));
    expect(keyTextOf(["user_id"], { user_id: "" })).toBeNull();
    expect(keyTextOf(["user_id", "n"], { user_id: "u1", n: null })).toBeNull();
  });
});
