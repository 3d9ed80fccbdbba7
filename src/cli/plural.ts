/** "1 row", "2 rows", "1,000 rows": a count and its noun, English plural by "s" unless given. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : many}`;
}
