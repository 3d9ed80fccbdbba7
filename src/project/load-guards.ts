import { Script, createContext, type Context } from "node:vm";

/**
 * Guards for running a feature file's top level: a time limit and a trap on
 * `process.exit`. A feature project is code; these keep a file that loops forever or
 * ends the process from hanging or silently ending every command.
 */

const DEFAULT_LOAD_TIMEOUT_MS = 30_000;
/** vm's timeout is a uint32 and setTimeout's delay an int32. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** How long one feature file may take to load: AGG_LOAD_TIMEOUT_MS, default 30 s. */
export function loadTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.AGG_LOAD_TIMEOUT_MS;
  const ms = raw === undefined || raw === "" ? NaN : Number(raw);
  return Number.isSafeInteger(ms) && ms > 0 ? Math.min(ms, MAX_TIMEOUT_MS) : DEFAULT_LOAD_TIMEOUT_MS;
}

/** Thrown by the guards when the time limit passed. */
export class LoadTimedOut extends Error {
  override readonly name = "LoadTimedOut";
}

let guard: { readonly script: Script; readonly context: Context } | null = null;

/**
 * Runs `run` synchronously with a time limit. A synchronous endless loop blocks the event
 * loop, so no timer could fire: vm's `timeout` has a watchdog thread stop the isolate's
 * execution instead, and that covers every function the guarded script calls.
 */
export function withinTime<T>(run: () => T, timeoutMs: number): T {
  guard ??= { script: new Script("run()", { filename: "agg-load-guard" }), context: createContext({ run: null }) };
  // A guarded run may start another (vm's watchdogs nest): restore the outer one's function.
  const outer: unknown = guard.context.run;
  guard.context.run = run;
  try {
    return guard.script.runInContext(guard.context, { timeout: timeoutMs }) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") throw new LoadTimedOut(`did not finish within ${timeoutMs} ms`);
    throw error;
  } finally {
    guard.context.run = outer;
  }
}

/** Waits for `promise` at most `timeoutMs` (for loads that wait, rather than loop). */
export async function settleWithin<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoadTimedOut(`did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A call to process.exit made while trapped; `error`'s stack shows the caller. */
export interface ExitCall {
  readonly code: string | number | null | undefined;
  readonly error: Error;
}

export interface ExitTrap {
  /** Every call made while the trap was set (a file may catch the error and call it again). */
  readonly calls: readonly ExitCall[];
  release(): void;
}

/**
 * Until `release()`, `process.exit` throws instead of ending the process, and every call
 * is recorded: the file's load then fails with a problem that says so, even when the file
 * catches the error.
 */
export function trapExit(): ExitTrap {
  const calls: ExitCall[] = [];
  const original = process.exit;
  process.exit = ((code?: string | number | null) => {
    const error = new Error(`process.exit(${code ?? ""}) was called while agg loaded the feature project`);
    calls.push({ code, error });
    throw error;
  }) as typeof process.exit;
  return {
    calls,
    release: () => {
      process.exit = original;
    },
  };
}
