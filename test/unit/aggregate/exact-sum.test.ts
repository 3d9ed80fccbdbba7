import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLayout } from "../../../src/aggregate/index.js";
import { foldAll, splitAndMerge, valuesOnly } from "./split-merge.js";

/** A finite double as an exact integer multiple of 2^-1074. */
function toScaled(x: number): bigint {
  if (x === 0) return 0n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const shift = exponent === 0 ? 0 : exponent - 1;
  return sign * (mantissa << BigInt(shift));
}

/** The exact sum, correctly rounded to a double (ties to even): the independent reference. */
function exactSum(values: readonly number[]): number {
  let total = 0n;
  for (const x of values) total += toScaled(x);
  if (total === 0n) return 0;
  const negative = total < 0n;
  let s = negative ? -total : total;
  const length = s.toString(2).length;
  let scale = -1074;
  if (length > 53) {
    const shift = BigInt(length - 53);
    const rest = s & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    s >>= shift;
    if (rest > half || (rest === half && (s & 1n) === 1n)) s += 1n;
    scale += length - 53;
  }
  // s has at most 54 bits; scale by powers of two that keep every step exact.
  let x = Number(s);
  while (scale > 0) {
    const step = Math.min(scale, 1000);
    x *= 2 ** step;
    scale -= step;
  }
  while (scale < 0) {
    const step = Math.max(scale, -1000);
    x *= 2 ** step;
    scale -= step;
  }
  return negative ? -x : x;
}

/** Doubles of every magnitude: subnormals, huge values near the top, integers, cancelling pairs. */
const anyDouble = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(0, -0, 1e308, -1e308, 1.7976931348623157e308, 5e-324, -5e-324, 0.1, 1e16, 2 ** 53),
);
const value = fc.oneof({ weight: 6, arbitrary: anyDouble }, { weight: 1, arbitrary: fc.constant(null) });

describe("exact sum", () => {
  const layout = compileLayout([{ fn: "sum" }, { fn: "mean" }, { fn: "count" }]);

  it("the reference itself rounds like Math for simple cases", () => {
    expect(exactSum([0.1, 0.2])).toBe(0.1 + 0.2);
    expect(exactSum([1e16, 1, -1e16])).toBe(1);
    expect(exactSum([Number.MAX_VALUE, Number.MAX_VALUE])).toBe(Infinity);
  });

  it("is the correctly rounded exact sum, whatever the split and merge order", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 80 }), fc.integer(), (values, seed) => {
        const numbers = values.filter((v): v is number => v !== null);
        const expected = exactSum(numbers);
        const inputs = valuesOnly(values);
        const merged = splitAndMerge(layout, inputs, seed);
        const whole = foldAll(layout, inputs);
        expect(layout.finish(merged, { fn: "sum" })).toBe(expected);
        expect(layout.finish(whole, { fn: "sum" })).toBe(expected);
        expect(layout.finish(merged, { fn: "count" })).toBe(values.length);
        const mean = layout.finish(merged, { fn: "mean" });
        expect(mean).toBe(numbers.length === 0 ? null : expected / numbers.length);
      }),
      { numRuns: 400 },
    );
  });

  it("is bit-identical across different splits of the same rows", () => {
    fc.assert(
      fc.property(fc.array(anyDouble, { maxLength: 60 }), fc.integer(), fc.integer(), (values, a, b) => {
        const inputs = valuesOnly(values);
        const x = layout.finish(splitAndMerge(layout, inputs, a), { fn: "sum" });
        const y = layout.finish(splitAndMerge(layout, inputs, b), { fn: "sum" });
        expect(Object.is(x, y)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    { values: [], sum: 0 },
    { values: [-0, -0], sum: 0 },
    { values: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], sum: 1 },
    { values: [1e100, 1, -1e100, 1e-100], sum: 1 },
    { values: [1e308, 1e308, -1e308], sum: 1e308 },
    { values: [-1e308, -1e308, 1e308, 5e-324], sum: -1e308 },
    { values: [Number.MAX_VALUE, Number.MAX_VALUE], sum: Infinity },
    { values: [Number.MAX_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE], sum: Number.MAX_VALUE },
    { values: [Infinity, 1], sum: Infinity },
    { values: [Infinity, -Infinity], sum: NaN },
  ])("sums $values to $sum", ({ values, sum }) => {
    const s = foldAll(layout, valuesOnly(values));
    expect(layout.finish(s, { fn: "sum" })).toBe(sum);
    expect(layout.finish(layout.decode(layout.encode(s)), { fn: "sum" })).toBe(sum);
  });

  it("stays exact near the top of the double range (carries, overflowing totals)", () => {
    const huge = fc
      .tuple(fc.double({ min: 1e300, max: Number.MAX_VALUE, noNaN: true }), fc.boolean())
      .map(([x, negative]) => (negative ? -x : x));
    const mixed = fc.oneof({ weight: 4, arbitrary: huge }, { weight: 1, arbitrary: anyDouble });
    fc.assert(
      fc.property(fc.array(mixed, { maxLength: 50 }), fc.integer(), (values, seed) => {
        const merged = splitAndMerge(layout, valuesOnly(values), seed);
        expect(layout.finish(merged, { fn: "sum" })).toBe(exactSum(values));
      }),
      { numRuns: 400 },
    );
  });

  it("does not overflow on the way when the total fits", () => {
    const big = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 1.5e308 : -1.4e308));
    const s = foldAll(layout, valuesOnly(big));
    expect(layout.finish(s, { fn: "sum" })).toBe(exactSum(big));
    expect(layout.finish(s, { fn: "mean" })).toBe(exactSum(big) / 1000);
  });
});
