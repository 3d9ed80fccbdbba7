import type { Project } from "./model.js";
import { envPrefix } from "../sources/source-settings.js";

/** A secret written into a feature file: a broker URL with a password. */
export interface SecretInDeclaration {
  readonly source: string;
  readonly where: string;
  readonly message: string;
  readonly hint: string;
}

/** Redis URLs with a password in the project's stream resolvers (`agg check` warns: secrets belong in the environment). */
export function secretsInDeclarations(project: Project): SecretInDeclaration[] {
  const found: SecretInDeclaration[] = [];
  for (const stream of project.streams.values()) {
    const broker = stream.broker;
    if (broker?.kind !== "redis" || typeof broker.url !== "string" || !hasPassword(broker.url)) continue;
    found.push({
      source: stream.source,
      where: stream.where,
      message: `redisStream("${stream.source}") has a password in its url`,
      hint: `remove it from the file and set ${envPrefix(stream.source)}URL=redis://:PASSWORD@host:port in the environment instead`,
    });
  }
  return found;
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== "";
  } catch {
    return false;
  }
}
