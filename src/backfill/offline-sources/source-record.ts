/** One raw row of an offline source with where it came from ("line 12", "row 7"). */
export type SourceRecord = { readonly where: string; readonly raw: unknown } | { readonly where: string; readonly error: string };

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
