import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { closestName } from "../../../src/closest-name.js";
import {
  FqnError,
  formatFeatureName,
  formatWindowFqn,
  isIdentifier,
  parseFeatureName,
} from "../../../src/series/fqn.js";
import { DAY_MS, UNBOUNDED_MS } from "../../../src/time/duration.js";

function errorOf(text: string): FqnError {
  try {
    parseFeatureName(text);
  } catch (error) {
    expect(error).toBeInstanceOf(FqnError);
    return error as FqnError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe("parseFeatureName", () => {
  const day = { namespace: "user", feature: "txn_sum", windowMs: DAY_MS };

  it.each([
    ["user.txn_sum__86400__", day],
    ["user.txn_sum__1d__", day],
    ["user.txn_sum__24h__", day],
    ['user.txn_sum["1d"]', day],
    ["user.txn_sum['1d']", day],
    ['user.txn_sum[ "1d" ]', day],
    ["  user.txn_sum__86400__ ", day],
    ['user.txn_sum["7d"]', { ...day, windowMs: 7 * DAY_MS }],
    ["user.txn_sum__7d__", { ...day, windowMs: 7 * DAY_MS }],
    ["user.txn_sum__1h30m__", { ...day, windowMs: 5_400_000 }],
    ["user.txn_sum__all__", { ...day, windowMs: UNBOUNDED_MS }],
    ["user.txn_sum__infinity__", { ...day, windowMs: UNBOUNDED_MS }],
    ['user.txn_sum["all"]', { ...day, windowMs: UNBOUNDED_MS }],
    ["user.txn_sum", { ...day, windowMs: null }],
    ["user2.a_1", { namespace: "user2", feature: "a_1", windowMs: null }],
    ["user.txn_sum___7d__", { namespace: "user", feature: "txn_sum_", windowMs: 7 * DAY_MS }],
  ])("%s", (text, expected) => {
    expect(parseFeatureName(text)).toEqual(expected);
  });

  it("rejects bad windows with the duration's reason", () => {
    expect(errorOf("user.txn_sum__0__").reason).toMatch(/longer than zero/);
    expect(errorOf('user.txn_sum["1.5h"]').reason).toBe('window "1.5h": decimals are not allowed; write "1h30m"');
    expect(errorOf('user.txn_sum["86400"]').reason).toMatch(/has no unit/);
    expect(errorOf('user.txn_sum[""]').reason).toMatch(/empty/);
    expect(errorOf("user.txn_sum__1mo__").reason).toMatch(/months are not allowed/);
    expect(errorOf("user.txn_sum__99999999999__").reason).toMatch(/__all__/);
  });

  it("says what is wrong with the name and lists the accepted forms", () => {
    const upper = errorOf("User.txn_sum__7d__");
    expect(upper.reason).toBe('names are lower case; write "user.txn_sum__7d__"');
    expect(upper.hint).toMatch(/^Accepted forms: user\.txn_sum \(all windows\), user\.txn_sum__86400__/);
    expect(upper.message).toBe('invalid feature name "User.txn_sum__7d__": names are lower case; write "user.txn_sum__7d__"');
    expect(errorOf("txn_sum").reason).toMatch(/missing the namespace/);
    expect(errorOf("user.txn.sum").reason).toMatch(/exactly one dot/);
    expect(errorOf("user.txn_sum[7d]").reason).toMatch(/quoted duration/);
    expect(errorOf("user.txn_sum__1.5h__").reason).toBe('window "1.5h": decimals are not allowed; write "1h30m"');
    expect(errorOf("user.txn_sum__-1__").reason).toMatch(/window "-1": negative/);
    expect(errorOf("").reason).toMatch(/empty/);
    for (const text of ["user.", ".txn_sum", "user.1abc", "user.txn-sum", "user.txn_sum[\"7d']", "user. txn_sum"]) {
      expect(() => parseFeatureName(text), text).toThrow(FqnError);
    }
  });

  it("never throws anything but FqnError on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[a-z0-9_.\["'\]]{0,24}$/)), (text) => {
        try {
          parseFeatureName(text);
        } catch (error) {
          expect(error).toBeInstanceOf(FqnError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("formatWindowFqn / formatFeatureName", () => {
  it("writes windows in seconds, __all__ when unbounded", () => {
    expect(formatWindowFqn("user", "txn_sum", DAY_MS)).toBe("user.txn_sum__86400__");
    expect(formatWindowFqn("user", "txn_sum", UNBOUNDED_MS)).toBe("user.txn_sum__all__");
    expect(formatFeatureName({ namespace: "user", feature: "txn_sum", windowMs: null })).toBe("user.txn_sum");
    expect(formatFeatureName(parseFeatureName('user.txn_sum["7d"]'))).toBe("user.txn_sum__604800__");
  });

  it("refuses sub-second and non-positive windows", () => {
    expect(() => formatWindowFqn("user", "txn_sum", 1500)).toThrow(FqnError);
    expect(() => formatWindowFqn("user", "txn_sum", 0)).toThrow(FqnError);
  });

  it("round-trips whole-second windows", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: UNBOUNDED_MS / 1000 }), (seconds) => {
        const fqn = formatWindowFqn("user", "txn_sum", seconds * 1000);
        expect(parseFeatureName(fqn).windowMs).toBe(seconds * 1000);
      }),
    );
  });
});

describe("isIdentifier", () => {
  it("accepts lower snake case only", () => {
    expect(isIdentifier("txn_sum")).toBe(true);
    expect(isIdentifier("a1")).toBe(true);
    for (const bad of ["", "1a", "_a", "TxnSum", "txn-sum", "txn sum"]) expect(isIdentifier(bad)).toBe(false);
  });
});

describe("closestName", () => {
  const names = ["user.txn_sum", "user.txn_mean", "user.food_spend", "transaction.amount"];

  it("finds a near miss", () => {
    expect(closestName("user.txn_smu", names)).toBe("user.txn_sum");
    expect(closestName("user.txn_men", names)).toBe("user.txn_mean");
    expect(closestName("USER.FOOD_SPEND", names)).toBe("user.food_spend");
    expect(closestName("user.txn_sum", names)).toBe("user.txn_sum");
  });

  it("gives nothing when nothing is close", () => {
    expect(closestName("merchant.count", names)).toBeUndefined();
    expect(closestName("x", [])).toBeUndefined();
  });
});
