/** A complete CSV record: its cells (null for an empty unquoted cell) and where it starts. */
export interface CsvRecord {
  readonly line: number;
  readonly raw: string;
  readonly cells: readonly (string | null)[];
  /** Set when the record breaks RFC 4180 (a stray quote); the cells are a best effort. */
  readonly error: string | null;
}

type State = "start" | "unquoted" | "quoted" | "afterQuote";

/**
 * An RFC 4180 record parser fed one physical line at a time, so a quoted cell may hold
 * line breaks (its record is reported at the line where it starts). Cells are text:
 * `""` escapes a quote inside a quoted cell, an empty unquoted cell is null and a
 * quoted empty cell is the empty string.
 */
export class CsvRecordParser {
  private cells: (string | null)[] = [];
  private current = "";
  private quotedCell = false;
  private state: State = "start";
  /** The line the open (or last) record starts on. */
  startLine = 0;
  private lines: string[] = [];
  private error: string | null = null;

  /** Feeds one line; returns the record it completes, or null while a quoted cell is open. */
  push(line: number, text: string): CsvRecord | null {
    if (this.lines.length === 0) {
      this.startLine = line;
      // Most records have no quotes at all: split them without the state machine.
      if (!text.includes('"')) return { line, raw: text, cells: text.split(",").map((c) => (c === "" ? null : c)), error: null };
    } else {
      this.current += "\n";
    }
    this.lines.push(text);
    for (let i = 0; i < text.length; i++) this.step(text[i] as string);
    if (this.state === "quoted") return null;
    return this.finish();
  }

  /** Whether a record is still open (a quoted cell was never closed). */
  get open(): boolean {
    return this.lines.length > 0;
  }

  /** At the end of input: the unterminated record, reported as an error. */
  end(): CsvRecord | null {
    if (!this.open) return null;
    this.error = `a quoted cell opened on line ${this.startLine} is never closed`;
    return this.finish();
  }

  private step(ch: string): void {
    switch (this.state) {
      case "start":
        if (ch === '"') {
          this.state = "quoted";
          this.quotedCell = true;
        } else if (ch === ",") this.endCell();
        else {
          this.current += ch;
          this.state = "unquoted";
        }
        return;
      case "unquoted":
        if (ch === ",") this.endCell();
        else {
          if (ch === '"') this.error ??= 'a quote inside an unquoted cell; quote the whole cell and double the quotes inside it ("a ""b"" c")';
          this.current += ch;
        }
        return;
      case "quoted":
        if (ch === '"') this.state = "afterQuote";
        else this.current += ch;
        return;
      case "afterQuote":
        if (ch === '"') {
          this.current += '"';
          this.state = "quoted";
        } else if (ch === ",") this.endCell();
        else {
          this.error ??= "text after the closing quote of a cell; double the quotes inside a quoted cell";
          this.current += ch;
          this.state = "unquoted";
        }
        return;
    }
  }

  private endCell(): void {
    this.cells.push(this.quotedCell || this.current !== "" ? this.current : null);
    this.current = "";
    this.quotedCell = false;
    this.state = "start";
  }

  private finish(): CsvRecord {
    this.endCell();
    const record: CsvRecord = { line: this.startLine, raw: this.lines.join("\n"), cells: this.cells, error: this.error };
    this.cells = [];
    this.lines = [];
    this.error = null;
    return record;
  }
}
