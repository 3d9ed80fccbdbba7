import { AggState, type StatePlan } from "./agg-state.js";
import { ByteReader, corrupt } from "./byte-reader.js";
import { ByteWriter } from "./byte-writer.js";

/** Bumped when the byte layout changes, so an old store is refused rather than misread. */
const FORMAT = 1;

// One writer reused by every encode, one reader by every merge from bytes: both run
// synchronously and are never re-entered.
const scratch = new ByteWriter(256);
const reader = new ByteReader(new Uint8Array(0));

/**
 * Bytes: format, rows, then (when rows > 0) n and each present component in a fixed
 * order. The layout, not the bytes, says which components are present, so there are no
 * tags: a one-row sum+count+mean+min+max bucket takes about ten bytes.
 */
export function encodeState(s: AggState): Uint8Array {
  const w = scratch.reset();
  w.u8(FORMAT);
  w.varint(s.rows);
  if (s.rows === 0) return w.toBytes();
  w.varint(s.n);
  s.sum?.write(w);
  s.extremes?.write(w);
  s.moments?.write(w);
  s.distinct?.write(w);
  s.quantiles?.write(w);
  s.heavy?.write(w);
  for (const b of s.best) b.write(w);
  return w.toBytes();
}

export function decodeState(plan: StatePlan, bytes: Uint8Array): AggState {
  const r = new ByteReader(bytes);
  const format = r.u8();
  if (format !== FORMAT) throw corrupt(`unknown format ${format}`);
  const s = new AggState(plan);
  s.rows = r.varint();
  if (s.rows === 0) return s;
  s.n = r.varint();
  s.sum?.read(r);
  s.extremes?.read(r);
  s.moments?.read(r);
  s.distinct?.read(r);
  s.quantiles?.read(r);
  s.heavy?.read(r);
  for (const b of s.best) b.read(r);
  if (!r.done) throw corrupt("it has trailing bytes (was it written for other aggregations?)");
  return s;
}

/**
 * `mergeStates(into, decodeState(plan, bytes[from, to)))` without building the decoded
 * state, for layouts of counts, sums, extremes and moments (the query's hot path; the
 * components merge straight from the bytes). Returns false, reading nothing, for layouts
 * with sketches or row lists: the caller decodes those.
 */
export function mergeEncodedState(plan: StatePlan, into: AggState, bytes: Uint8Array, from: number, to: number): boolean {
  if (plan.distinct || plan.quantiles || plan.topKCapacity > 0 || plan.best.length > 0) return false;
  const r = reader.reset(bytes, from, to);
  const format = r.u8();
  if (format !== FORMAT) throw corrupt(`unknown format ${format}`);
  const rows = r.varint();
  if (rows === 0) return true;
  into.rows += rows;
  into.n += r.varint();
  into.sum?.mergeEncoded(r);
  into.extremes?.mergeEncoded(r);
  into.moments?.mergeEncoded(r);
  if (!r.done) throw corrupt("it has trailing bytes (was it written for other aggregations?)");
  return true;
}
