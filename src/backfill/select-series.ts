import { AggError } from "../errors.js";
import type { Project } from "../project/model.js";
import { resolveRoot } from "../series/build-series-table.js";
import type { CompiledSeries } from "../series/compiled-series.js";

/**
 * The root FQNs behind `--feature` names (any form of SPEC 1.5; a window names its whole
 * feature). Checked against the project alone, so a bad name never opens the store. With
 * an offline source, every feature must aggregate the source's namespace.
 */
export function resolveFeatures(project: Project, names: readonly string[], sourceNamespace: string | null): string[] {
  const roots = [...new Set(names.map((name) => resolveRoot(name, project)))];
  for (const root of roots) {
    const feature = project.windowed.find((f) => f.fqn === root)!;
    if (feature.materialization === null) {
      throw new AggError("usage", `${root} is not materialized, so it has no buckets to backfill`, { hint: 'add materialization: { bucketDuration: "1d" } (or true) to its declaration' });
    }
    if (sourceNamespace !== null && feature.source !== sourceNamespace) {
      throw new AggError("usage", `${root} aggregates ${feature.source} rows, but the offline source holds ${sourceNamespace} rows`, { hint: `backfill it from the row log (drop --source), or from an offline source whose output is ${feature.source}` });
    }
  }
  return roots;
}

/** The series serving `roots` (every materialized series when empty), limited to the source's namespace. */
export function seriesFor(compiled: readonly CompiledSeries[], roots: readonly string[], sourceNamespace: string | null): CompiledSeries[] {
  const series = compiled.filter(
    (s) => (roots.length === 0 || s.def.features.some((f) => roots.includes(f.fqn))) && (sourceNamespace === null || s.def.namespace === sourceNamespace),
  );
  if (series.length === 0) {
    throw new AggError("usage", sourceNamespace === null ? "nothing to backfill: the project has no materialized windowed features" : `nothing to backfill: no materialized windowed feature aggregates ${sourceNamespace} rows`, {
      hint: "add materialization to a windowed feature (agg list shows the series table)",
    });
  }
  return series;
}
