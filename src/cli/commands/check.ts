import { formatSite } from "../../project/problem.js";
import { existsSync } from "node:fs";
import type { Project } from "../../project/model.js";
import type { StaleSize } from "../../backfill/stale-sizes.js";
import { formatDuration } from "../../time/duration.js";
import { projectDir, storeOptions, storePath, type GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { AggError } from "../../errors.js";

/** `agg check`: load and validate the project; print every problem at once. */
export async function checkCommand(io: Io, options: GlobalOptions): Promise<void> {
  const { loadProject, projectSource, displayBase } = await import("../../project/load-project.js");
  const { deriveSeries } = await import("../../series/derive.js");
  const source = projectSource(projectDir(io, options));
  const { project, problems } = await loadProject(source);
  const root = displayBase(source.root);
  const stale = problems.length === 0 ? await needsBackfill(io, options, project) : [];
  if (options.json) {
    const needs = stale.map((s) => ({ series: s.seriesId, bucket: formatDuration(s.bucketMs), features: s.features }));
    io.out(JSON.stringify({ ok: problems.length === 0, files: source.files.length, problems: problems.map((p) => ({ where: formatSite(p.site, root) || null, code: p.code, message: p.message, subject: p.subject ?? null, hint: p.hint ?? null })), needsBackfill: needs }, null, 2));
  } else {
    for (const p of problems) {
      io.err(`${io.color.bold(formatSite(p.site, root) || root)}: ${io.color.red("error")} ${p.message}${p.hint ? `\n  ${io.color.dim("hint:")} ${p.hint}` : ""}`);
    }
  }
  if (problems.length > 0) {
    if (!options.json) io.err(`\n${problems.length} problem${problems.length === 1 ? "" : "s"} found; nothing was changed.`);
    throw new AggError("project", `${problems.length} problem${problems.length === 1 ? "" : "s"} in ${source.root}`, { hint: "fix them and run `agg check` again", meta: { reported: true } });
  }
  if (!options.json) {
    const series = deriveSeries(project);
    io.out(`${io.color.green("ok")} ${source.files.length} files, ${project.namespaces.size} namespaces, ${project.windowed.length} windowed features, ${series.length} series, ${project.streams.size} stream resolvers, ${project.offlineSources.size} offline sources`);
    for (const s of stale) {
      io.err(`${io.color.yellow("warning")} series ${s.seriesId} (bucket ${formatDuration(s.bucketMs)}) needs a backfill: its stored buckets were filled for other windows or aggregations (${s.features.join(", ")})\n  ${io.color.dim("hint:")} run \`agg backfill --feature ${s.features[0]}\` (it rebuilds the whole series)`);
    }
  }
}

/** The (series, size) pairs whose stored buckets have another layout; none without a store (check never creates one). */
async function needsBackfill(io: Io, options: GlobalOptions, project: Project): Promise<StaleSize[]> {
  const path = storePath(io, options);
  if (!existsSync(path)) return [];
  const { openDatabase } = await import("../../store/open-store.js");
  const { readSeries } = await import("../../store/series-registry.js");
  const { deriveSeries } = await import("../../series/derive.js");
  const { compileSeries } = await import("../../series/compiled-series.js");
  const { staleSizes } = await import("../../backfill/stale-sizes.js");
  let db;
  try {
    db = openDatabase(path, { ...storeOptions(io), mustExist: true });
  } catch (error) {
    // The project is what check checks: an unreadable store is worth a warning, not a failure.
    io.err(`${io.color.yellow("warning")} could not read the store to look for series needing a backfill: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  try {
    const defs = deriveSeries(project);
    return staleSizes(db, compileSeries(defs, readSeries(db, defs)));
  } finally {
    db.close();
  }
}
