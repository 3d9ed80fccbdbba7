import type { InputMessage } from "../ingest/input-message.js";

/**
 * A live broker as `agg ingest --follow` reads it: messages as they arrive, each with a
 * delivery number as its `line` (1, 2, 3, ...), and an acknowledgement the ingest gives
 * only once the transaction holding those messages has committed. A message read but
 * not acknowledged is delivered again (to this consumer or another), so a crash at any
 * point loses nothing, and what it repeats is a duplicate by primary key.
 */
export interface MessageSource {
  /** `redis stream "payments" (group "agg") at redis://127.0.0.1:6379`, for messages. */
  readonly description: string;
  /** The messages; the iterator throws an AggError when the broker fails for good. */
  readonly messages: AsyncIterable<InputMessage>;
  /** Every message through delivery `line` is committed (or rejected and written): acknowledge them, in the background. */
  acknowledge(line: number): void;
  /** The broker's id of a delivered message not yet acknowledged (for rejections and the dead letter). */
  idOf(line: number): string | undefined;
  /** How far behind the reader is: seconds since the last message read was published, and entries not yet delivered (when the broker says). */
  lag(): SourceLag;
  /** Stops reading, sends the acknowledgements still due (waiting a bounded time), disconnects. */
  close(): Promise<CloseResult>;
}

export interface SourceLag {
  readonly seconds: number | null;
  readonly entries: number | null;
}

export interface CloseResult {
  /** Acknowledgements that could not be sent: those messages are delivered again (duplicates). */
  readonly unacknowledged: number;
}

/** What a source needs from its caller: settings come resolved, the clock and stderr from the CLI. */
export interface SourceContext {
  readonly now: () => number;
  /** A line for stderr: retries, reconnects. */
  readonly notice: (text: string) => void;
  /** Messages per transaction: how much a source reads ahead. */
  readonly batchSize: number;
  readonly maxRecordBytes: number;
  readonly parse: ((bytes: Uint8Array) => unknown) | null;
  /** How long the broker may stay unreachable while running before the ingest gives up (ms). */
  readonly outageLimitMs: number;
  /** Deliveries after which a message that was never committed is rejected as poison. */
  readonly maxDeliveries: number;
}
