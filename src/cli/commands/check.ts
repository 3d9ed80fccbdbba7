import { formatSite } from "../../project/problem.js";
import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { Project } from "../../project/model.js";
import { staleReasonText, type StaleSize } from "../../series/stale-sizes.js";
import { formatDuration } from "../../time/duration.js";
import { projectDir, storeOptions, storePath, type GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { AggError } from "../../errors.js";
import type { StoreReport } from "../../store/sqlite/check-store.js";
import type { Verified } from "../../series/store-checks.js";
import { formatInstant } from "../../time/instant.js";
import { plural } from "../plural.js";

/** `agg check`: load and validate the project; print every problem at once. With `--store`, verify the store too. */
export async function checkCommand(io: Io, options: GlobalOptions): Promise<void> {
  const { loadProject, projectSource, displayBase } = await import("../../project/load-project.js");
  const { deriveSeries } = await import("../../series/derive.js");
  const source = projectSource(projectDir(io, options));
  // A refused cache folder (src/project/cache-dir.ts), as every other command says.
  if (!options.json) for (const warning of source.warnings ?? []) io.err(`${io.color.yellow("warning:")} ${warning}`);
  const { project, problems } = await loadProject(source);
  const root = displayBase(source.root);
  const stale = problems.length === 0 ? await needsBackfill(io, options, project) : [];
  const verified = options.store === undefined ? null : await verifyStore(io, options, problems.length === 0 ? project : null);
  const missing = problems.length === 0 ? missingOfflineFiles(project, root) : [];
  if (options.json) {
    const needs = stale.map((s) => ({ series: s.seriesId, bucket: formatDuration(s.bucketMs), features: s.features, reason: s.reason }));
    io.out(JSON.stringify({ ok: problems.length === 0, files: source.files.length, problems: problems.map((p) => ({ where: formatSite(p.site, root) || null, code: p.code, message: p.message, subject: p.subject ?? null, hint: p.hint ?? null })), needsBackfill: needs, missingFiles: missing, ...(verified !== null && { store: storeJson(verified) }) }, null, 2));
  } else {
    for (const p of problems) {
      io.err(`${io.color.bold(formatSite(p.site, root) || root)}: ${io.color.red("error")} ${p.message}${p.hint ? `\n  ${io.color.dim("hint:")} ${p.hint}` : ""}`);
    }
  }
  if (verified !== null && !options.json) printStore(io, verified);
  if (problems.length > 0) {
    if (!options.json) io.err(`\n${problems.length} problem${problems.length === 1 ? "" : "s"} found; nothing was changed.`);
    throw new AggError("project", `${problems.length} problem${problems.length === 1 ? "" : "s"} in ${source.root}`, { hint: "fix them and run `agg check` again", meta: { reported: true } });
  }
  if (!options.json) {
    const series = deriveSeries(project);
    const counts = [plural(source.files.length, "file"), plural(project.namespaces.size, "namespace"), plural(project.windowed.length, "windowed feature"), plural(series.length, "series", "series"), plural(project.streams.size, "stream resolver"), plural(project.offlineSources.size, "offline source")];
    io.out(`${io.color.green("ok")} ${counts.join(", ")}`);
    for (const m of missing) {
      io.err(`${io.color.yellow("warning")} ${m.where}: offline source "${m.source}" reads ${m.path}, which does not exist\n  ${io.color.dim("hint:")} create it, or fix the path (relative to the feature project folder); \`agg backfill --source ${m.source}\` fails until then`);
    }
    const { secretsInDeclarations } = await import("../../project/broker-secrets.js");
    for (const secret of secretsInDeclarations(project)) io.err(`${io.color.yellow("warning")} ${secret.where}: ${secret.message}\n  ${io.color.dim("hint:")} ${secret.hint}`);
    for (const s of stale) {
      const which = s.seriesId === null ? `a new series (bucket ${formatDuration(s.bucketMs)}, ${s.features.join(", ")})` : `series ${s.seriesId} (bucket ${formatDuration(s.bucketMs)}, ${s.features.join(", ")})`;
      io.err(`${io.color.yellow("warning")} ${which} needs a backfill: ${staleReasonText(s)}; queries read those values from the row log until then\n  ${io.color.dim("hint:")} run \`agg backfill --feature ${s.features[0]}\``);
    }
  }
  const failure = verified === null ? null : storeFailure(verified, options.json ?? false);
  if (failure !== null) throw failure;
}

/** The (series, size) pairs whose buckets miss history; an unreadable store is worth a warning (without --store). */
async function needsBackfill(io: Io, options: GlobalOptions, project: Project): Promise<readonly StaleSize[]> {
  const { probeStaleSizes } = await import("../../series/store-checks.js");
  const probe = probeStaleSizes(storePath(io, options), project, storeOptions(io).busyTimeoutMs);
  if ("stale" in probe) return probe.stale;
  // With --store, the verification reports it as an error; otherwise the project is what check checks.
  if (options.store === undefined) io.err(`${io.color.yellow("warning")} could not read the store to look for series needing a backfill: ${probe.unreadable instanceof Error ? probe.unreadable.message : String(probe.unreadable)}`);
  return [];
}

async function verifyStore(io: Io, options: GlobalOptions, project: Project | null): Promise<Verified> {
  const { verifyStore: verify } = await import("../../series/store-checks.js");
  return verify(storePath(io, options), project, storeOptions(io).busyTimeoutMs);
}

function isClean(report: StoreReport): boolean {
  return report.integrity.length === 0 && report.damagedCount === 0;
}

function storeJson(v: Verified) {
  if ("error" in v) return { path: v.path, ok: false, error: v.error instanceof Error ? v.error.message : String(v.error), integrity: [], buckets: 0, damaged: [], damagedCount: 0 };
  const damaged = v.report.damaged.map((d) => ({ series: d.seriesId, bucket: formatDuration(d.bucketMs), key: d.keys, start: formatInstant(d.start) }));
  return { path: v.path, ok: isClean(v.report), error: null, integrity: v.report.integrity, buckets: v.report.buckets, damaged, damagedCount: v.report.damagedCount };
}

function printStore(io: Io, v: Verified): void {
  if ("error" in v) return; // rendered as the command's error
  const { report } = v;
  if (isClean(report)) {
    io.out(`${io.color.green("ok")} store ${v.path}: integrity check passed, ${report.buckets.toLocaleString("en-US")} bucket state${report.buckets === 1 ? "" : "s"} match their checksums`);
    return;
  }
  for (const line of report.integrity) io.err(`${io.color.red("error")} store ${v.path}: ${line}`);
  for (const d of report.damaged) {
    io.err(`${io.color.red("error")} store ${v.path}: series ${d.seriesId} (${formatDuration(d.bucketMs)} buckets), key ${d.keys.join(" ")}, bucket ${formatInstant(d.start)}: the state does not match its checksum`);
  }
  const more = report.damagedCount - report.damaged.length;
  if (more > 0) io.err(`${io.color.red("error")} store ${v.path}: and ${more.toLocaleString("en-US")} more damaged bucket${more === 1 ? "" : "s"}`);
}

/** The error `check --store` exits with, or null when the store is sound. */
function storeFailure(v: Verified, json: boolean): unknown {
  if ("error" in v) return json ? new AggError("store", v.error instanceof Error ? v.error.message : String(v.error), { meta: { reported: true } }) : v.error;
  const { report } = v;
  if (isClean(report)) return null;
  const parts = [
    ...(report.integrity.length > 0 ? [`the integrity check found ${report.integrity.length} problem${report.integrity.length === 1 ? "" : "s"}`] : []),
    ...(report.damagedCount > 0 ? [`${report.damagedCount.toLocaleString("en-US")} bucket state${report.damagedCount === 1 ? "" : "s"} fail${report.damagedCount === 1 ? "s" : ""} its checksum`] : []),
  ];
  const features = [...new Set(report.damaged.flatMap((d) => ("features" in v ? (v.features.get(d.seriesId) ?? []) : []).slice(0, 1)))];
  const rebuild = features.length > 0 ? `\`agg backfill ${features.map((f) => `--feature ${f}`).join(" ")}\`` : "`agg backfill`";
  const hints = [
    ...(report.damagedCount > 0 ? [`${rebuild} rebuilds the damaged buckets from the row log`] : []),
    ...(report.integrity.length > 0 ? ["damaged pages cannot be repaired in place: restore the store from a backup, or make a new one (--store PATH) and ingest your events again"] : []),
  ];
  return new AggError("store", `store corrupt: the store at ${v.path}: ${parts.join(", ")}`, { hint: hints.join("; "), meta: { reported: json } });
}

/** Offline sources whose input file is not there: backfill from them would fail (reported, not a problem: other commands work). */
function missingOfflineFiles(project: Project, root: string): { source: string; path: string; where: string | null }[] {
  const out: { source: string; path: string; where: string | null }[] = [];
  for (const source of project.offlineSources.values()) {
    if (source.input === null) continue;
    const path = isAbsolute(source.input.path) ? source.input.path : join(project.root, source.input.path);
    if (!existsSync(path)) out.push({ source: source.name, path: isAbsolute(source.input.path) ? path : relative(root, path), where: formatSite(source.site, root) || null });
  }
  return out;
}
