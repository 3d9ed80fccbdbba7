import { formatSite } from "../../project/problem.js";
import { projectDir, type GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { AggError } from "../../errors.js";

/** `agg check`: load and validate the project; print every problem at once. */
export async function checkCommand(io: Io, options: GlobalOptions): Promise<void> {
  const { loadProject, projectSource, displayBase } = await import("../../project/load-project.js");
  const { deriveSeries } = await import("../../series/derive.js");
  const source = projectSource(projectDir(io, options));
  const { project, problems } = await loadProject(source);
  const root = displayBase(source.root);
  if (options.json) {
    io.out(JSON.stringify({ ok: problems.length === 0, files: source.files.length, problems: problems.map((p) => ({ where: formatSite(p.site, root) || null, code: p.code, message: p.message, subject: p.subject ?? null, hint: p.hint ?? null })) }, null, 2));
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
  }
}
