import { NAMESPACE, OFFLINE_SOURCE, STREAM, hasBrand } from "../dsl/brand.js";
import type { NamespaceSpec } from "../dsl/features.js";
import type { OfflineSourceSpec } from "../dsl/offline-source.js";
import type { StreamSpec } from "../dsl/stream.js";
import type { LoadedModule } from "./load-module.js";
import { problem, type Problem } from "./problem.js";

/** What the feature files export, before validation. */
export interface Collected {
  readonly namespaces: readonly { readonly spec: NamespaceSpec; readonly file: string }[];
  readonly streams: readonly { readonly spec: StreamSpec; readonly file: string }[];
  readonly offlineSources: readonly { readonly spec: OfflineSourceSpec; readonly file: string }[];
  readonly problems: readonly Problem[];
}

/**
 * Picks namespaces, stream resolvers and offline sources out of the modules' exports.
 * The same object re-exported from two files is counted once.
 */
export function collect(modules: readonly LoadedModule[]): Collected {
  const seen = new Set<unknown>();
  const out = { namespaces: [] as Collected["namespaces"][number][], streams: [] as Collected["streams"][number][], offlineSources: [] as Collected["offlineSources"][number][], problems: [] as Problem[] };
  for (const module of modules) {
    if ("error" in module) {
      const site = { file: module.file, line: module.error.line ?? 1, column: module.error.column ?? 1 };
      out.problems.push(problem("load-failed", `cannot load this file: ${module.error.message.trim()}`, site, { hint: "fix the syntax or import; agg loads every *.ts file of the project" }));
      continue;
    }
    for (const value of Object.values(module.exports)) {
      if (seen.has(value) || typeof value !== "object" || value === null) continue;
      seen.add(value);
      const v = value as Record<symbol, unknown>;
      if (hasBrand(value, NAMESPACE)) out.namespaces.push({ spec: v[NAMESPACE] as NamespaceSpec, file: module.file });
      else if (hasBrand(value, STREAM)) out.streams.push({ spec: v[STREAM] as StreamSpec, file: module.file });
      else if (hasBrand(value, OFFLINE_SOURCE)) out.offlineSources.push({ spec: v[OFFLINE_SOURCE] as OfflineSourceSpec, file: module.file });
    }
  }
  return out;
}
