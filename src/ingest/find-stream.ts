import { AggError } from "../errors.js";
import type { Project, StreamModel } from "../project/model.js";
import { closestName } from "../closest-name.js";

/** The stream resolver `agg ingest --source NAME` names; a usage error listing the known ones. */
export function findStream(project: Project, name: string): StreamModel {
  const stream = project.streams.get(name);
  if (stream !== undefined) return stream;
  const known = [...project.streams.keys()].sort();
  const guess = closestName(name, known);
  const offline = project.offlineSources.has(name) ? ` "${name}" is an offline source, read by \`agg backfill --source ${name}\`.` : "";
  const listing = known.length === 0 ? "this project declares no stream resolvers; add one with stream({ source, message, output, resolve })" : `known sources: ${known.join(", ")}`;
  throw new AggError("usage", `unknown source "${name}"`, {
    hint: `${guess !== undefined ? `did you mean "${guess}"? ` : ""}${listing}.${offline}`,
    meta: { known },
  });
}
