import { formatInstant } from "../../time/instant.js";
import { storeOptions, storePath } from "../context.js";
import { exitAfterSignal } from "../exit-after-signal.js";
import type { Io } from "../io.js";
import { renderError } from "../render-error.js";
import { loadProjectFor } from "../session.js";
import { serverUrl, type ServeOptions, type ServeSettings } from "./serve-settings.js";

/**
 * One serving process: alone (`single`), or one of the primary's workers. It answers until
 * SIGTERM or SIGINT (or, as a worker, until the primary goes away), then drains and returns,
 * so agg exits 0. SIGHUP loads the project and the token file again and swaps them in
 * together; when either fails, the previous ones go on being served.
 */
export async function serveProcess(io: Io, options: ServeOptions, settings: ServeSettings, role: "single" | "worker"): Promise<void> {
  const { readTokenFile } = await import("../../serve/token-file.js");
  const { openDatabase } = await import("../../store/sqlite/open-store.js");
  const { startServer } = await import("../../serve/server.js");
  const prefix = role === "worker" ? `agg serve (worker ${process.pid}): ` : "agg serve: ";
  const readToken = () => (settings.tokenFile === null ? null : readTokenFile(settings.tokenFile).token);
  // The primary (or checkAll) has printed the token's and the project's warnings once.
  const quiet: Io = { ...io, err: () => {} };
  const token = readToken();
  const project = await loadProjectFor(role === "worker" ? quiet : io, options);
  const path = storePath(io, options);
  const db = openDatabase(path, { ...storeOptions(io), mustExist: true, noWrites: true });
  try {
    const server = await startServer({
      host: settings.host,
      port: settings.port,
      db,
      storePath: path,
      project,
      token,
      limits: settings.limits,
      now: io.now,
      clusterWorker: role === "worker",
      onInternalError: (error, request) => {
        io.err(`${prefix}${io.color.red("error:")} ${request} failed inside the server; it was answered with 500`);
        renderError(io, error, { json: false, verbose: options.verbose ?? false });
      },
    });
    if (role === "single") {
      io.out(`agg serve: listening on ${serverUrl(server.host, server.port)} (1 worker; project ${project.root}; store ${path}${token === null ? "" : "; bearer token required"})`);
    }

    let reloading: Promise<void> | null = null;
    let again = false;
    const reload = async (): Promise<void> => {
      do {
        again = false;
        try {
          const nextToken = readToken();
          // The loader forgets the modules of the last load itself (project/forget-project-modules.ts).
          const next = await loadProjectFor(quiet, options);
          server.reload(next, nextToken);
          io.err(`${prefix}reloaded the project at ${formatInstant(io.now())}: ${next.windowed.length} windowed features`);
        } catch (error) {
          server.reloadFailed(io.now());
          io.err(`${prefix}${io.color.yellow("warning:")} the reload failed; still serving the project and token loaded before`);
          renderError(io, error, { json: false, verbose: options.verbose ?? false });
        }
      } while (again);
    };
    const onHangUp = () => {
      if (reloading !== null) {
        again = true;
        return;
      }
      reloading = reload().finally(() => (reloading = null));
    };
    process.on("SIGHUP", onHangUp);

    const stop = await new Promise<string>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        resolve(signal);
        // Alone, a second signal ends the process at once; a worker leaves that to the primary.
        if (role === "single") for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, (second) => void exitAfterSignal(second));
        else for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, () => {});
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      if (role === "worker") process.once("disconnect", () => resolve("the primary's exit"));
    });
    process.off("SIGHUP", onHangUp);
    const { answered, cut } = await server.close(settings.limits.requestTimeoutMs + 5_000);
    await reloading;
    io.err(`${prefix}stopped on ${stop}: ${cut ? "requests still open after the grace period were cut" : "every request in flight was answered"}; ${answered} requests answered`);
  } finally {
    db.close();
  }
}
