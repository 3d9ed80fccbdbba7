import { aggLabel } from "../aggregate/index.js";
import type { AggSpec } from "../aggregate/types.js";
import { canonicalFilter, type FilterNode } from "../dsl/filter.js";
import type { Project, WindowedFeature } from "../project/model.js";
import type { BucketCalendar } from "../time/bucket-grid.js";

/** One stored time series: what is aggregated, over which rows, grouped by what. */
export interface SeriesDef {
  /** Stable text identity; the store maps it to a small integer id. */
  readonly identity: string;
  /** The namespace aggregated over, e.g. `transaction`. */
  readonly namespace: string;
  /** Join key plus group-by keys, in the namespace's declaration order. */
  readonly groupKeys: readonly string[];
  /** The aggregated feature, or null for a bare row count. */
  readonly feature: string | null;
  readonly filter: FilterNode | null;
  readonly filterText: string;
  /** Bucket anchor in epoch ms (0: the Unix epoch). */
  readonly anchor: number;
  /** `bucketTimeZone` and `weekStart`: whole-day sizes follow the zone's calendar; null: fixed-length buckets. */
  readonly calendar: BucketCalendar | null;
  /** One state layout per bucket size: all aggregations at that size share a bucket record. */
  readonly sizes: readonly SizeLayout[];
  readonly rules: readonly Rule[];
  readonly features: readonly WindowedFeature[];
}

export interface SizeLayout {
  readonly bucketMs: number;
  readonly specs: readonly AggSpec[];
  /** How long buckets of this size are kept: the largest window they serve. */
  readonly retentionMs: number;
}

/** One row of the series table: an aggregation at a bucket size. */
export interface Rule {
  readonly agg: AggSpec;
  readonly label: string;
  readonly bucketMs: number;
  readonly retentionMs: number;
  /** Root FQNs of the features this rule serves. */
  readonly dependents: readonly string[];
}

/**
 * A series' identity text. A zone (with its week start) is part of it, so another zone is
 * another series; series without one keep the identity they always had.
 */
export function seriesIdentity(f: Pick<WindowedFeature, "source" | "feature" | "filter">, groupKeys: readonly string[], anchor: number, calendar: BucketCalendar | null = null): string {
  const zoned = calendar === null ? {} : { zone: calendar.zone, weekStart: calendar.weekStart };
  return JSON.stringify({ ns: f.source, keys: groupKeys, agg: f.feature ?? "", filter: canonicalFilter(f.filter), anchor, ...zoned });
}

/** The group keys of a feature's series, in the aggregated namespace's declaration order. */
export function groupKeysOf(feature: WindowedFeature, project: Project): string[] {
  const order = project.namespaces.get(feature.source)?.scalars.map((s) => s.name) ?? [];
  return [feature.joinKey, ...feature.groupBy].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/**
 * The series table: materialized features that need the same (namespace, group keys,
 * aggregated feature, filter) share one series, also across namespaces.
 */
export function deriveSeries(project: Project): SeriesDef[] {
  const byIdentity = new Map<string, { base: Omit<SeriesDef, "sizes" | "rules" | "features">; features: WindowedFeature[] }>();
  for (const feature of project.windowed) {
    if (feature.materialization === null) continue;
    const groupKeys = groupKeysOf(feature, project);
    const { anchor, calendar } = feature.materialization;
    const identity = seriesIdentity(feature, groupKeys, anchor, calendar);
    let entry = byIdentity.get(identity);
    if (entry === undefined) {
      entry = {
        base: { identity, namespace: feature.source, groupKeys, feature: feature.feature, filter: feature.filter, filterText: canonicalFilter(feature.filter), anchor, calendar },
        features: [],
      };
      byIdentity.set(identity, entry);
    }
    entry.features.push(feature);
  }
  return [...byIdentity.values()].map(({ base, features }) => ({ ...base, ...rulesOf(features), features }));
}

function rulesOf(features: readonly WindowedFeature[]): { rules: Rule[]; sizes: SizeLayout[] } {
  const rules = new Map<string, { agg: AggSpec; label: string; bucketMs: number; retentionMs: number; dependents: string[] }>();
  for (const feature of features) {
    const label = aggLabel(feature.agg);
    for (const [windowMs, bucketMs] of feature.materialization!.bucketFor) {
      const key = `${label}|${bucketMs}`;
      const rule = rules.get(key) ?? { agg: feature.agg, label, bucketMs, retentionMs: 0, dependents: [] };
      rule.retentionMs = Math.max(rule.retentionMs, windowMs, feature.materialization!.retentionMs ?? 0);
      if (!rule.dependents.includes(feature.fqn)) rule.dependents.push(feature.fqn);
      rules.set(key, rule);
    }
  }
  const ordered = [...rules.values()].sort((a, b) => a.bucketMs - b.bucketMs);
  const sizes = new Map<number, SizeLayout & { specs: AggSpec[] }>();
  for (const rule of ordered) {
    const size = sizes.get(rule.bucketMs) ?? { bucketMs: rule.bucketMs, specs: [], retentionMs: 0 };
    if (!size.specs.some((s) => aggLabel(s) === rule.label)) size.specs.push(rule.agg);
    sizes.set(rule.bucketMs, { ...size, retentionMs: Math.max(size.retentionMs, rule.retentionMs) });
  }
  return { rules: ordered, sizes: [...sizes.values()] };
}
