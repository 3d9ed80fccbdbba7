import cluster, { type Worker } from "node:cluster";
import { answerMetricsRequests } from "./cluster-metrics.js";

/** What the supervisor tells the CLI to print. */
export type SupervisorEvent =
  | { readonly kind: "worker-exit"; readonly pid: number; readonly code: number | null; readonly signal: string | null; readonly restarting: boolean }
  | { readonly kind: "giving-up"; readonly exits: number; readonly windowMs: number };

export interface Supervisor {
  /** Resolves with the port once every worker listens; rejects with the exit code of a worker that could not start. */
  readonly listening: Promise<{ host: string; port: number }>;
  /** Sends `signal` to every worker (SIGHUP: each reloads; SIGTERM: each drains and exits). */
  signal(signal: NodeJS.Signals): void;
  /** Drains every worker (SIGTERM) and resolves when all have exited: with 0 when each exited 0. */
  stop(): Promise<number>;
  /** Resolves when the workers are all gone for good (after stop, or after giving up), with the exit code to end with. */
  readonly done: Promise<number>;
}

const RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/**
 * Runs `count` workers of this same command (node:cluster re-runs the CLI with the same
 * arguments; each worker opens its own read-only connection and listens on the shared
 * port, which the primary hands connections round-robin). A worker that dies after
 * starting is replaced, unless workers die more than 5 times within a minute.
 */
export function superviseWorkers(count: number, now: () => number, onEvent: (event: SupervisorEvent) => void): Supervisor {
  const stopMetrics = answerMetricsRequests();
  const workers = new Set<Worker>();
  const started = new Set<Worker>();
  const exits: number[] = [];
  let stopping = false;
  let exitCode = 0;
  let resolveListening!: (address: { host: string; port: number }) => void;
  let rejectListening!: (code: number) => void;
  const listening = new Promise<{ host: string; port: number }>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let ready = false;

  const fork = () => {
    const worker = cluster.fork();
    workers.add(worker);
    worker.on("listening", (address) => {
      started.add(worker);
      if (!ready && started.size === count) {
        ready = true;
        resolveListening({ host: address.address, port: address.port });
      }
    });
    worker.on("exit", (code, signal) => {
      workers.delete(worker);
      const wasStarted = started.delete(worker);
      if (stopping) {
        if (code !== 0 && exitCode === 0) exitCode = code ?? 1;
      } else if (!ready && !wasStarted) {
        // A worker that could not start (a busy port): it printed why; stop the others.
        exitCode = code || 1;
        rejectListening(exitCode);
        stop();
      } else {
        exits.push(now());
        while (exits.length > 0 && exits[0]! < now() - RESTART_WINDOW_MS) exits.shift();
        const restarting = exits.length <= RESTARTS;
        onEvent({ kind: "worker-exit", pid: worker.process.pid ?? 0, code, signal, restarting });
        if (restarting) fork();
        else {
          onEvent({ kind: "giving-up", exits: exits.length, windowMs: RESTART_WINDOW_MS });
          exitCode = 1;
          stop();
        }
      }
      if (stopping && workers.size === 0) {
        stopMetrics();
        resolveDone(exitCode);
      }
    });
  };

  const signal = (sig: NodeJS.Signals) => {
    for (const worker of workers) worker.process.kill(sig);
  };
  const stop = (): Promise<number> => {
    if (!stopping) {
      stopping = true;
      signal("SIGTERM");
      if (workers.size === 0) {
        stopMetrics();
        resolveDone(exitCode);
      }
    }
    return done;
  };
  for (let i = 0; i < count; i++) fork();
  return { listening, signal, stop, done };
}
