/**
 * Feature names as users type them (SPEC 1.5): `user.txn_sum` (all windows),
 * `user.txn_sum__86400__` (window in seconds), `user.txn_sum__7d__`, `user.txn_sum["7d"]`,
 * `user.txn_sum__all__`. Windows are integer ms inside agg, whole seconds in names.
 */
import { TextParseError } from "../text-parse-error.js";
import { DurationError, SECOND_MS, UNBOUNDED_MS, isUnbounded, parseDuration } from "../time/duration.js";

export interface FeatureName {
  namespace: string;
  feature: string;
  /** null: a bare name, meaning every window of the feature. */
  windowMs: number | null;
}

const IDENT = "[a-z][a-z0-9_]*";
const IDENT_RE = new RegExp(`^${IDENT}$`);
// Lazy feature part, so `txn_sum___7d__` reads as feature `txn_sum_`, window `7d`.
const SUFFIX_FORM = new RegExp(`^(${IDENT})\\.(${IDENT}?)__([a-z0-9]+)__$`);
const BRACKET_FORM = new RegExp(`^(${IDENT})\\.(${IDENT})\\[\\s*(?:"([^"]*)"|'([^']*)')\\s*\\]$`);
const BARE_FORM = new RegExp(`^(${IDENT})\\.(${IDENT})$`);
const FORMS = 'user.txn_sum (all windows), user.txn_sum__86400__ (seconds), user.txn_sum__7d__, user.txn_sum["7d"], user.txn_sum__all__';

/** A feature name that does not parse. Not an AggError: the caller knows the flag or file:line. */
export class FqnError extends TextParseError {
  override readonly name = "FqnError";

  constructor(input: string, reason: string, hint = `Accepted forms: ${FORMS}.`) {
    super("feature name", input, reason, hint);
  }
}

/**
 * @example parseFeatureName("user.txn_sum__86400__") // { namespace: "user", feature: "txn_sum", windowMs: 86_400_000 }
 */
export function parseFeatureName(text: string): FeatureName {
  if (typeof text !== "string") throw new FqnError(String(text), `expected a string, got ${typeof text}`);
  const name = text.trim();
  const suffix = SUFFIX_FORM.exec(name);
  if (suffix !== null) return named(text, suffix[1], suffix[2], windowFromSuffix(text, suffix[3] ?? ""));
  const bracket = BRACKET_FORM.exec(name);
  if (bracket !== null) return named(text, bracket[1], bracket[2], windowFromDuration(text, bracket[3] ?? bracket[4] ?? ""));
  const bare = BARE_FORM.exec(name);
  if (bare !== null) return named(text, bare[1], bare[2], null);
  throw new FqnError(text, diagnose(name));
}

function named(input: string, namespace = "", feature = "", windowMs: number | null): FeatureName {
  if (namespace === "" || feature === "") throw new FqnError(input, "missing namespace or feature");
  return { namespace, feature, windowMs };
}

function windowFromSuffix(input: string, text: string): number {
  if (!/^\d+$/.test(text)) return windowFromDuration(input, text);
  const ms = Number(text) * SECOND_MS;
  if (ms === 0) throw new FqnError(input, "a window must be longer than zero seconds");
  if (!Number.isSafeInteger(ms) || ms > UNBOUNDED_MS) throw new FqnError(input, `window of ${text} seconds is longer than 100 years; write __all__`);
  return ms;
}

function windowFromDuration(input: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof DurationError) throw new FqnError(input, `window ${JSON.stringify(text)}: ${error.reason}`, error.hint);
    throw error;
  }
}

/** Why a name matched no form, as specific as we can tell. */
function diagnose(name: string): string {
  if (name === "") return "empty; write a namespace and a feature, e.g. user.txn_sum";
  if (name.toLowerCase() !== name && parseOk(name.toLowerCase())) {
    return `names are lower case; write ${JSON.stringify(name.toLowerCase())}`;
  }
  const windowed = /^(.*?)(?:__(.+)__|\[(.*)\])$/.exec(name);
  const base = windowed?.[1] ?? name;
  const dots = base.split(".").length;
  if (dots === 1) return "missing the namespace; write namespace.feature, e.g. user.txn_sum";
  if (dots > 2) return "a name has exactly one dot: namespace.feature";
  if (windowed !== null && BARE_FORM.test(base)) {
    if (windowed[3] !== undefined) return `a window in brackets is a quoted duration, e.g. user.txn_sum["7d"]`;
    return `window ${JSON.stringify(windowed[2])}: ${windowReason(windowed[2] ?? "")}`;
  }
  return "names are lower snake case ([a-z][a-z0-9_]*) as namespace.feature";
}

function windowReason(text: string): string {
  try {
    parseDuration(text);
  } catch (error) {
    if (error instanceof DurationError) return error.reason;
    throw error;
  }
  return 'write whole seconds ("86400") or a duration without spaces ("7d", "1h30m")';
}

function parseOk(name: string): boolean {
  return SUFFIX_FORM.test(name) || BRACKET_FORM.test(name) || BARE_FORM.test(name);
}

/**
 * The per-window name: `formatWindowFqn("user", "txn_sum", 86_400_000)` -> `"user.txn_sum__86400__"`,
 * `"...__all__"` for unbounded windows. Throws for windows that are not whole seconds:
 * validation rejects those before any name is built.
 */
export function formatWindowFqn(namespace: string, feature: string, windowMs: number): string {
  if (isUnbounded(windowMs)) return `${namespace}.${feature}__all__`;
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0 || windowMs % SECOND_MS !== 0) {
    throw new FqnError(`${namespace}.${feature}`, `window of ${windowMs} ms is not a whole number of seconds`, "Windows must be whole seconds.");
  }
  return `${namespace}.${feature}__${windowMs / SECOND_MS}__`;
}

/** The canonical spelling of a parsed name: bare, or with the window in seconds. */
export function formatFeatureName(name: FeatureName): string {
  return name.windowMs === null ? `${name.namespace}.${name.feature}` : formatWindowFqn(name.namespace, name.feature, name.windowMs);
}

/** True for a lower snake case identifier, the rule for namespace and feature names. */
export function isIdentifier(text: string): boolean {
  return IDENT_RE.test(text);
}
