import type { Scalar } from "./types.js";

const RANK = { boolean: 0, number: 1, string: 2 } as const;

/**
 * A total order on non-null scalars, for deterministic ties: booleans, then numbers,
 * then strings; strings by UTF-16 code units (not locale: the same on every machine).
 */
export function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === typeof b) {
    if (a === b) return 0;
    return (a as number | string | boolean) < (b as number | string | boolean) ? -1 : 1;
  }
  if (a === null) return -1;
  if (b === null) return 1;
  const ra = RANK[typeof a as keyof typeof RANK];
  const rb = RANK[typeof b as keyof typeof RANK];
  return ra - rb;
}
