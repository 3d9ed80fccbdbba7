/**
 * The keys of an options object that a DSL function does not know: a typo such as
 * `bucketDurration`, or an option of another agg version. Validation reports each at the
 * declaration's file:line with the closest known name, instead of ignoring it.
 */
export function unknownKeys(options: unknown, known: readonly string[]): readonly string[] {
  if (typeof options !== "object" || options === null) return Object.freeze([]);
  return Object.freeze(Object.keys(options).filter((key) => !known.includes(key)));
}
