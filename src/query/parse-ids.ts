/** Entity ids from an `--ids-file`: one per line, surrounding spaces trimmed, blank lines ignored. */
export function parseIds(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const id = line.trim();
    if (id !== "") out.push(id);
  }
  return out;
}
