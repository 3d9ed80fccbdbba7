import { describe, expect, it } from "vitest";
import { AggError } from "../../../src/errors.js";
import { selectWindows } from "../../../src/query/select-windows.js";
import { DAY, HOUR, feature, project } from "./model-fixture.js";

const p = project([feature("txn_sum", [DAY, 7 * DAY, 36_500 * DAY], { bucket: DAY }), feature("food", [HOUR], { bucket: 10 * 60_000 })]);
const names = (...n: string[]) => selectWindows(n, p).map((w) => w.fqn);

function usageError(f: () => unknown): AggError {
  try {
    f();
  } catch (error) {
    if (error instanceof AggError && error.code === "usage") return error;
    throw error;
  }
  throw new Error("expected a usage error");
}

describe("selectWindows", () => {
  it("accepts every SPEC 1.5 name form; a bare name is every window in declaration order", () => {
    expect(names("user.txn_sum")).toEqual(["user.txn_sum__86400__", "user.txn_sum__604800__", "user.txn_sum__all__"]);
    expect(names("user.txn_sum__86400__")).toEqual(["user.txn_sum__86400__"]);
    expect(names("user.txn_sum__7d__")).toEqual(["user.txn_sum__604800__"]);
    expect(names('user.txn_sum["7d"]')).toEqual(["user.txn_sum__604800__"]);
    expect(names("user.txn_sum['1w']")).toEqual(["user.txn_sum__604800__"]);
    expect(names("user.txn_sum__all__")).toEqual(["user.txn_sum__all__"]);
  });

  it("keeps the order given and names each window once", () => {
    expect(names("user.food", "user.txn_sum__7d__", "user.txn_sum", "user.food__3600__")).toEqual([
      "user.food__3600__",
      "user.txn_sum__604800__",
      "user.txn_sum__86400__",
      "user.txn_sum__all__",
    ]);
  });

  it("an unknown feature suggests the closest name", () => {
    const error = usageError(() => names("user.txn_summ"));
    expect(error.message).toBe('--feature "user.txn_summ": no windowed feature user.txn_summ in the project');
    expect(error.hint).toBe("did you mean user.txn_sum? (agg list shows them all)");
    expect(usageError(() => names("zzz.qqq")).hint).toBe("agg list shows the windowed features");
  });

  it("a window the feature does not have lists the ones it has", () => {
    const error = usageError(() => names("user.txn_sum__2d__"));
    expect(error.message).toBe('--feature "user.txn_sum__2d__": user.txn_sum has no 2d window');
    expect(error.hint).toBe("its windows are user.txn_sum__86400__ (1d), user.txn_sum__604800__ (1w), user.txn_sum__all__ (all); a bare user.txn_sum means all of them");
  });

  it("names that do not parse, and scalar features, are usage errors", () => {
    expect(usageError(() => names("txn_sum")).message).toMatch(/missing the namespace/);
    expect(usageError(() => names("user.txn_sum__1.5h__")).message).toMatch(/^--feature: invalid feature name/);
    expect(usageError(() => names("transaction.amount")).message).toBe('--feature "transaction.amount": transaction.amount is a scalar feature; agg query serves windowed features');
  });
});
