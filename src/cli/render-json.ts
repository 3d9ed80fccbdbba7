/** Items `writeJson` hands its writer at a time. */
const WRITTEN = 10_000;

/**
 * Writes `JSON.stringify(doc, null, 2)` through `write`, the array at `doc[key]` a slice
 * of items at a time, each mapped by `item` as it is written: a million rows are never
 * one string (nor one buffer of hundreds of MB). Every piece ends with a line break but
 * the last (`}`), as `Io.out` expects.
 *
 * @example writeJson({ at, rows, warnings }, "rows", (r) => ({ id: r.id }), io.out)
 */
export function writeJson<T>(doc: { readonly [k: string]: unknown }, key: string, item: (value: T) => unknown, write: (text: string) => void): void {
  const fields = Object.keys(doc).filter((k) => k === key || JSON.stringify(doc[k]) !== undefined);
  let text = "{\n";
  fields.forEach((k, f) => {
    const comma = f + 1 < fields.length ? "," : "";
    if (k !== key) {
      text += `  ${JSON.stringify(k)}: ${indent(JSON.stringify(doc[k], null, 2), "  ")}${comma}\n`;
      return;
    }
    const items = doc[k] as readonly T[];
    if (items.length === 0) {
      text += `  ${JSON.stringify(k)}: []${comma}\n`;
      return;
    }
    text += `  ${JSON.stringify(k)}: [\n`;
    for (let from = 0; from < items.length; from += WRITTEN) {
      const slice = items.slice(from, from + WRITTEN).map(item);
      // "[\n  a,\n  b\n]": the items two deep; they belong four deep.
      const json = JSON.stringify(slice, null, 2);
      write(`${text}  ${indent(json.slice(2, -2), "  ")}${from + WRITTEN < items.length ? "," : ""}\n`);
      text = "";
    }
    text += `  ]${comma}\n`;
  });
  write(`${text}}`);
}

/** JSON text nested `by` deeper: a JSON string holds no raw line break, so every one is layout. */
function indent(json: string, by: string): string {
  return json.replaceAll("\n", `\n${by}`);
}
