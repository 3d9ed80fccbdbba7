import { describe, expect, it } from "vitest";
import { subKey } from "../../../src/query/sub-key.js";

describe("subKey (the group-by key a value is listed under)", () => {
  it("is the other key as it is for a two-key series, from either side", () => {
    expect(subKey(["u1", "m|1"], 0)).toBe("m|1");
    expect(subKey(["u1", "m1"], 1)).toBe("u1");
  });

  it("joins several group-by values with | in declaration order", () => {
    expect(subKey(["u1", "m1", "food"], 0)).toBe("m1|food");
    expect(subKey(["u1", "m1", "food"], 1)).toBe("u1|food");
  });

  it("escapes | and backslash inside values, so different keys never print alike", () => {
    const a = subKey(["u1", "a|b", "c"], 0);
    const b = subKey(["u1", "a", "b|c"], 0);
    expect(a).toBe("a\\|b|c");
    expect(b).toBe("a|b\\|c");
    expect(subKey(["u1", "a\\", "|c"], 0)).toBe("a\\\\|\\|c");
    expect(subKey(["u1", "a\\|", "c"], 0)).not.toBe(subKey(["u1", "a\\", "|c"], 0));
  });
});
