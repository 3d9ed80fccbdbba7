import { AggError } from "../errors.js";
import type { Project, WindowedFeature } from "../project/model.js";
import { closestName } from "../closest-name.js";
import { formatWindowFqn, FqnError, parseFeatureName } from "../series/fqn.js";
import { formatDuration } from "../time/duration.js";

/** One window of one feature that a query answers, named by its per-window FQN. */
export interface SelectedWindow {
  /** `user.txn_sum__86400__` */
  readonly fqn: string;
  readonly feature: WindowedFeature;
  readonly windowMs: number;
}

/**
 * The windows named by `--feature` flags, in the order given, each once. Every name form
 * of SPEC 1.5 is accepted; a bare name means every window of the feature, in declaration
 * order. Unknown names and windows are usage errors that say what exists.
 */
export function selectWindows(names: readonly string[], project: Project): SelectedWindow[] {
  const byFqn = new Map(project.windowed.map((f) => [f.fqn, f]));
  const out = new Map<string, SelectedWindow>();
  for (const name of names) {
    const parsed = parse(name);
    const root = `${parsed.namespace}.${parsed.feature}`;
    const feature = byFqn.get(root) ?? unknown(name, root, project);
    const windows = parsed.windowMs === null ? feature.windows : [parsed.windowMs];
    for (const windowMs of windows) {
      if (!feature.windows.includes(windowMs)) throw missingWindow(name, feature, windowMs);
      const fqn = formatWindowFqn(feature.namespace, feature.name, windowMs);
      if (!out.has(fqn)) out.set(fqn, { fqn, feature, windowMs });
    }
  }
  return [...out.values()];
}

function parse(name: string) {
  try {
    return parseFeatureName(name);
  } catch (error) {
    if (error instanceof FqnError) throw new AggError("usage", `--feature: ${error.message}`, { hint: error.hint });
    throw error;
  }
}

function unknown(name: string, root: string, project: Project): never {
  const [namespace = "", feature = ""] = root.split(".");
  if (project.namespaces.get(namespace)?.scalars.some((s) => s.name === feature)) {
    throw new AggError("usage", `--feature ${JSON.stringify(name)}: ${root} is a scalar feature; agg query serves windowed features`, {
      hint: "name a windowed feature (agg list shows them all)",
    });
  }
  const guess = closestName(root, project.windowed.map((f) => f.fqn));
  throw new AggError("usage", `--feature ${JSON.stringify(name)}: no windowed feature ${root} in the project`, {
    hint: guess === undefined ? "agg list shows the windowed features" : `did you mean ${guess}? (agg list shows them all)`,
  });
}

function missingWindow(name: string, feature: WindowedFeature, windowMs: number): AggError {
  const has = feature.windows.map((w) => `${formatWindowFqn(feature.namespace, feature.name, w)} (${formatDuration(w)})`);
  return new AggError("usage", `--feature ${JSON.stringify(name)}: ${feature.fqn} has no ${formatDuration(windowMs)} window`, {
    hint: `its windows are ${has.join(", ")}; a bare ${feature.fqn} means all of them`,
  });
}
