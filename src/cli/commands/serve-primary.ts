import type { Io } from "../io.js";
import { exitAfterSignal } from "../exit-after-signal.js";
import { projectDir, storePath } from "../context.js";
import { workerFailed } from "./serve.js";
import { serverUrl, type ServeOptions, type ServeSettings } from "./serve-settings.js";

/**
 * --workers N: the primary forks N workers, prints the address once they all listen, and
 * passes SIGHUP (reload) and SIGTERM / SIGINT (drain) on to them. It returns once every
 * worker has drained and exited; a second signal ends the workers and itself at once.
 */
export async function servePrimary(io: Io, options: ServeOptions, settings: ServeSettings): Promise<void> {
  const { superviseWorkers } = await import("../../serve/cluster-primary.js");
  const supervisor = superviseWorkers(settings.workers, io.now, (event) => {
    if (event.kind === "worker-exit") io.err(`agg serve: ${io.color.yellow("warning:")} worker ${event.pid} exited (${event.signal ?? `code ${event.code}`})${event.restarting ? "; starting another" : ""}`);
    else io.err(`agg serve: ${io.color.red("error:")} workers exited ${event.exits} times within ${event.windowMs / 1000} s; stopping`);
  });
  const onHangUp = () => supervisor.signal("SIGHUP");
  let stoppedBy: string | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy !== null) {
      supervisor.signal("SIGKILL");
      void exitAfterSignal(signal);
      return;
    }
    stoppedBy = signal;
    void supervisor.stop();
  };
  process.on("SIGHUP", onHangUp);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    let address: { host: string; port: number };
    try {
      address = await supervisor.listening;
    } catch (code) {
      await supervisor.done;
      throw workerFailed(code as number);
    }
    io.out(`agg serve: listening on ${serverUrl(settings.host, address.port)} (${settings.workers} workers; project ${projectDir(io, options)}; store ${storePath(io, options)}${settings.tokenFile === null ? "" : "; bearer token required"})`);
    const code = await supervisor.done;
    io.err(`agg serve: stopped${stoppedBy === null ? "" : ` on ${stoppedBy}`}: every worker exited${code === 0 ? "" : `, one with code ${code}`}`);
    if (code !== 0) throw workerFailed(code);
  } finally {
    process.off("SIGHUP", onHangUp);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
