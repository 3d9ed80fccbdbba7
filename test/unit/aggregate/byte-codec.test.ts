import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteReader } from "../../../src/aggregate/byte-reader.js";
import { ByteWriter } from "../../../src/aggregate/byte-writer.js";
import type { Scalar } from "../../../src/aggregate/index.js";

function roundTrip(values: readonly Scalar[]): Scalar[] {
  const w = new ByteWriter(1);
  for (const v of values) w.scalar(v);
  const r = new ByteReader(w.toBytes());
  const out = values.map(() => r.scalar());
  expect(r.done).toBe(true);
  return out;
}

describe("byte writer and reader", () => {
  it("round-trip every scalar exactly (-0, NaN, subnormals, lone surrogates)", () => {
    const scalar = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.integer({ min: -1e6, max: 1e6 }).map((c) => c / 100),
      fc.maxSafeInteger(),
      fc.string({ unit: "binary" }),
      fc.string({ unit: "grapheme" }),
      fc.boolean(),
      fc.constantFrom(null, -0, NaN, Infinity, -Infinity, 5e-324, 0.1, 12.34, -99.99, 2 ** 49, 2 ** 53, "\ud800", "a\udc00b"),
    );
    fc.assert(
      fc.property(fc.array(scalar, { maxLength: 30 }), (values) => {
        const out = roundTrip(values);
        values.forEach((v, i) => expect(Object.is(out[i], v)).toBe(true));
      }),
      { numRuns: 300 },
    );
  });

  it("round-trip varints up to 2^53 and signed ints", () => {
    const w = new ByteWriter();
    const xs = [1, 127, 128, 2 ** 31, 2 ** 32 + 5, 2 ** 52 - 1];
    for (const x of xs) {
      w.varint(x);
      w.varint(Number.MAX_SAFE_INTEGER - x);
      w.sint(-x);
      w.sint(x);
    }
    const r = new ByteReader(w.toBytes());
    for (const x of xs) {
      expect(r.varint()).toBe(x);
      expect(r.varint()).toBe(Number.MAX_SAFE_INTEGER - x);
      expect(r.sint()).toBe(-x);
      expect(r.sint()).toBe(x);
    }
  });

  it("write short decimals and small integers in a few bytes", () => {
    const size = (v: number) => {
      const w = new ByteWriter();
      w.number(v);
      return w.toBytes().length;
    };
    expect(size(3)).toBe(1);
    expect(size(12.34)).toBeLessThanOrEqual(3);
    expect(size(499.99)).toBeLessThanOrEqual(4);
    expect(size(0.5)).toBeLessThanOrEqual(2);
    expect(size(Math.PI)).toBe(9);
  });
});
