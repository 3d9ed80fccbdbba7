import { SCHEMA_VERSION } from "../../store/sqlite/migrations.js";
import { formatInstant } from "../../time/instant.js";
import { lastCommitTime } from "../store-health.js";
import type { RouteContext } from "./route-context.js";

export interface HealthInfo {
  readonly storePath: string;
  /** The time the last SIGHUP reload failed (the previous project is still served), or null. */
  readonly reloadFailedAt: () => number | null;
}

/** GET /health, without auth: whether this process serves, from which store, which project, and how fresh the store is. */
export function health(ctx: RouteContext, info: HealthInfo) {
  const served = ctx.served();
  const committed = lastCommitTime(info.storePath);
  const failed = info.reloadFailedAt();
  return {
    status: committed === null ? "store_missing" : "ok",
    store: { path: info.storePath, schemaVersion: SCHEMA_VERSION, lastCommitAt: committed === null ? null : formatInstant(committed) },
    project: { root: served.project.root, windowedFeatures: served.project.windowed.length, loadedAt: formatInstant(served.loadedAt), reloadFailedAt: failed === null ? null : formatInstant(failed) },
    pid: process.pid,
  };
}
