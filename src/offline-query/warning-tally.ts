const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z/g;

/** One kind of warning over the spine: the first spine row's text and how many rows had it. */
export interface TalliedWarning {
  readonly message: string;
  readonly rows: number;
}

/**
 * The warnings of every spine row's plans, counted by kind: the same sentence with other
 * times in it (`computed from the row log for [2024-01-03, ...)`) is one kind, so a
 * million rows give a handful of lines, each with its first text and a count.
 */
export class WarningTally {
  private readonly kinds = new Map<string, { message: string; rows: number }>();

  add(messages: readonly string[]): void {
    for (const message of messages) {
      const kind = message.replace(TIME, "T");
      const seen = this.kinds.get(kind);
      if (seen === undefined) this.kinds.set(kind, { message, rows: 1 });
      else seen.rows++;
    }
  }

  list(): TalliedWarning[] {
    return [...this.kinds.values()].map((w) => ({ ...w }));
  }
}
