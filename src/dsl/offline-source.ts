import { NAMESPACE, OFFLINE_SOURCE } from "./brand.js";
import type { AnyNamespace } from "./features.js";
import { callSite, type Site } from "./site.js";
import { unknownKeys } from "./unknown-keys.js";

/** Where historical rows come from; paths are relative to the feature project. */
export type OfflineInput =
  | { readonly sqlite: { readonly path: string; readonly query: string } }
  | { readonly csv: string }
  | { readonly ndjson: string };

export type OfflineSourceOptions<NS extends AnyNamespace> = {
  /** The name `agg backfill --source` uses. */
  readonly name: string;
  /** The namespace the rows belong to; columns are matched by feature name. */
  readonly output: NS;
} & OfflineInput;

/** The options offlineSource() takes. */
export const OFFLINE_SOURCE_KEYS: readonly string[] = ["name", "output", "sqlite", "csv", "ndjson"];

/** The plain data behind an offline source. */
export interface OfflineSourceSpec {
  readonly name: string;
  readonly output: string;
  readonly input: { readonly kind: "sqlite"; readonly path: string; readonly query: string } | { readonly kind: "csv" | "ndjson"; readonly path: string } | null;
  /** Option keys the declaration passed that offlineSource() does not know. */
  readonly unknownOptions: readonly string[];
  readonly site: Site | null;
}

export interface OfflineSource {
  readonly [OFFLINE_SOURCE]: OfflineSourceSpec;
}

/**
 * A historical source for `agg backfill --source NAME`.
 * @example
 * export const warehouse = offlineSource({
 *   name: "warehouse",
 *   output: Transaction,
 *   sqlite: { path: "data/warehouse.db", query: "SELECT * FROM transactions" },
 * });
 */
export function offlineSource<NS extends AnyNamespace>(options: OfflineSourceOptions<NS>): OfflineSource {
  const o = options as Partial<{ sqlite: { path: string; query: string }; csv: string; ndjson: string }>;
  const input: OfflineSourceSpec["input"] =
    o.sqlite !== undefined
      ? { kind: "sqlite", path: o.sqlite.path, query: o.sqlite.query }
      : o.csv !== undefined
        ? { kind: "csv", path: o.csv }
        : o.ndjson !== undefined
          ? { kind: "ndjson", path: o.ndjson }
          : null;
  const spec: OfflineSourceSpec = Object.freeze({
    name: options.name,
    output: options.output?.[NAMESPACE]?.name,
    input,
    unknownOptions: unknownKeys(options, OFFLINE_SOURCE_KEYS),
    site: callSite(),
  });
  return Object.freeze({ [OFFLINE_SOURCE]: spec });
}
