/**
 * The group key without the entity's own key: one group-by value as it is, or several
 * joined by "|", a "|" or backslash inside a value escaped by a backslash, so that two
 * different keys never print alike (["a|b", "c"] is `a\|b|c`, ["a", "b|c"] is `a|b\|c`).
 */
export function subKey(keys: readonly string[], keyIndex: number): string {
  if (keys.length === 2) return keys[1 - keyIndex]!;
  return keys
    .filter((_, i) => i !== keyIndex)
    .map((part) => part.replace(/[\\|]/g, "\\$&"))
    .join("|");
}
