import type { Row } from "../aggregate/types.js";

/**
 * A row's group key as one string, for in-memory maps of buckets: null when a key is
 * missing or empty (exactly when groupKeyOf gives null). One key is its own text;
 * several are length-prefixed, so two different keys never give the same text.
 */
export function keyTextOf(groupKeys: readonly string[], row: Row): string | null {
  if (groupKeys.length === 1) {
    const value = row[groupKeys[0]!];
    return value === null || value === undefined || value === "" ? null : String(value);
  }
  let text = "";
  for (let i = 0; i < groupKeys.length; i++) {
    const value = row[groupKeys[i]!];
    if (value === null || value === undefined || value === "") return null;
    text += part(String(value), i + 1 === groupKeys.length);
  }
  return text;
}

/** keyTextOf for a stored group key (its key columns, in order). */
export function keyTextOfKeys(keys: readonly string[]): string {
  if (keys.length === 1) return keys[0]!;
  let text = "";
  for (let i = 0; i < keys.length; i++) text += part(keys[i]!, i + 1 === keys.length);
  return text;
}

/** The group key back from its text (`count` keys); the inverse of keyTextOfKeys. */
export function keysOfText(text: string, count: number): string[] {
  if (count === 1) return [text];
  const keys: string[] = [];
  let at = 0;
  for (let i = 0; i + 1 < count; i++) {
    const colon = text.indexOf(":", at);
    const end = colon + 1 + Number(text.slice(at, colon));
    keys.push(text.slice(colon + 1, end));
    at = end;
  }
  keys.push(text.slice(at));
  return keys;
}

function part(value: string, last: boolean): string {
  return last ? value : `${value.length}:${value}`;
}
