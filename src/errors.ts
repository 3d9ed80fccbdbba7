/**
 * The one error type of agg. The core throws it; only the CLI catches it and maps
 * `code` to an exit code (see SPEC 6): usage and project problems exit 2, rejected
 * input exits 3, everything else 1.
 */
export type AggErrorCode =
  | "usage" // bad flags or arguments
  | "project" // the feature project does not load or validate
  | "input" // an ingest message or input file was rejected
  | "store" // the store is locked, corrupt, newer, or read-only
  | "runtime"; // anything else that went wrong while working

export interface AggErrorOptions {
  /** What the user can do about it, one sentence. */
  hint?: string;
  /** Machine-readable details, printed with `--json`. */
  meta?: Record<string, unknown>;
  cause?: unknown;
}

export class AggError extends Error {
  override readonly name = "AggError";
  readonly code: AggErrorCode;
  readonly hint: string | undefined;
  readonly meta: Record<string, unknown>;

  constructor(code: AggErrorCode, message: string, options: AggErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.meta = options.meta ?? {};
  }
}

export function isAggError(value: unknown): value is AggError {
  return value instanceof Error && (value as { name?: unknown }).name === "AggError" && "code" in value;
}

export const EXIT_CODES: Record<AggErrorCode, number> = {
  usage: 2,
  project: 2,
  input: 3,
  store: 1,
  runtime: 1,
};
