/**
 * Entity ids from an `--ids-file`: one per line, each line taken as it is (ingest stores
 * ids verbatim, so " u1" and "u1" are two entities), without its line break (`\n` or
 * `\r\n`) and a leading byte-order mark; empty lines are skipped.
 */
export function parseIds(text: string): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let id = lines[i]!;
    if (i === 0 && id.startsWith("\uFEFF")) id = id.slice(1);
    if (id.endsWith("\r")) id = id.slice(0, -1);
    if (id !== "") out.push(id);
  }
  return out;
}
