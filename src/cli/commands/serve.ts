import { AggError } from "../../errors.js";
import { storeOptions, storePath } from "../context.js";
import type { Io } from "../io.js";
import { loadProjectFor } from "../session.js";
import { isLoopback, serveSettings, serverUrl, type ServeOptions, type ServeSettings } from "./serve-settings.js";

export type { ServeOptions } from "./serve-settings.js";

/**
 * `agg serve`: the online feature server (SPEC 5.5). One process, or with --workers N a
 * primary that checks everything once, then runs N workers of this same command.
 */
export async function serveCommand(io: Io, options: ServeOptions): Promise<void> {
  const settings = serveSettings(io, options);
  const { default: cluster } = await import("node:cluster");
  if (cluster.isWorker) return (await import("./serve-process.js")).serveProcess(io, options, settings, "worker");
  // Everything a worker would fail on fails here first, once: the token, the project, the store.
  await checkAll(io, options, settings);
  if (settings.workers === 1) return (await import("./serve-process.js")).serveProcess(io, options, settings, "single");
  return (await import("./serve-primary.js")).servePrimary(io, options, settings);
}

async function checkAll(io: Io, options: ServeOptions, settings: ServeSettings): Promise<void> {
  const { readTokenFile } = await import("../../serve/token-file.js");
  const token = settings.tokenFile === null ? null : readTokenFile(settings.tokenFile);
  for (const warning of token?.warnings ?? []) io.err(`${io.color.yellow("warning:")} ${warning}`);
  if (token === null && !isLoopback(settings.host)) {
    io.err(`${io.color.yellow("warning:")} listening on ${serverUrl(settings.host, settings.port)} without --token-file: anyone who can reach this port can read every feature value`);
  }
  if (settings.workers > 1) {
    await loadProjectFor(io, options);
    const { openDatabase } = await import("../../store/sqlite/open-store.js");
    openDatabase(storePath(io, options), { ...storeOptions(io), mustExist: true, noWrites: true }).close();
  }
}

/** A worker that could not start has printed why; the primary ends with its code and prints nothing more. */
export function workerFailed(code: number): AggError {
  return new AggError(code === 2 ? "usage" : "runtime", `a worker exited with code ${code} while starting`, { meta: { reported: true } });
}
