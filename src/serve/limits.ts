/** What one request may ask for; every bound is checked before the store is read. */
export interface ServeLimits {
  /** Request bodies larger than this are refused with 413. */
  readonly maxBodyBytes: number;
  /** Entity ids (rows) per request; more is a 400. */
  readonly maxIds: number;
  /** Feature names per request. */
  readonly maxOutputs: number;
  /** Values (rows x windows) per response: a bound on its memory, whatever the project declares. */
  readonly maxValues: number;
  /** A request must arrive whole within this (else 408); also the bound on a drain. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServeLimits = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxIds: 10_000,
  maxOutputs: 256,
  maxValues: 1_000_000,
  requestTimeoutMs: 10_000,
});

/** The longest id ingest accepts (AGG_MAX_KEY_BYTES' default): no longer one can be stored. */
export const MAX_ID_LENGTH = 1024;
