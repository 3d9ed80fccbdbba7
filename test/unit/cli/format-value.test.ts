import { describe, expect, it } from "vitest";
import { formatValue } from "../../../src/cli/commands/query.js";

describe("formatValue (query table cells)", () => {
  it("prints numbers to 15 significant digits, so float noise does not show", () => {
    expect(formatValue(0.1 + 0.2)).toBe("0.3");
    expect(formatValue(1021.8399999999999)).toBe("1021.84");
    expect(formatValue(-2.675)).toBe("-2.675");
    expect(formatValue(12.75)).toBe("12.75");
  });

  it("keeps whole numbers and every digit a double holds exactly", () => {
    expect(formatValue(123456789012345)).toBe("123456789012345");
    expect(formatValue(2 ** 53)).toBe(String(2 ** 53));
    expect(formatValue(0)).toBe("0");
    expect(formatValue(1e-7)).toBe("1e-7");
    expect(formatValue(1234.56789012345)).toBe("1234.56789012345");
  });

  it("prints null, booleans, strings and group-by maps", () => {
    expect(formatValue(null)).toBe("null");
    expect(formatValue(true)).toBe("true");
    expect(formatValue("m1")).toBe("m1");
    expect(formatValue({})).toBe("{}");
    expect(formatValue({ m1: 0.1 + 0.2, m2: 4 })).toBe("m1=0.3 m2=4");
    expect(formatValue([1, 2])).toBe("[1,2]");
  });
});
