import type { Site } from "../dsl/site.js";
import { closestName } from "../closest-name.js";
import { problem, type Problem } from "./problem.js";

/**
 * One problem per option key a declaration passed that agg does not know (a typo, or an
 * option of another version), with the closest known name: silently ignoring
 * `bucketDurration` would serve values built from the default instead.
 */
export function reportUnknownOptions(keys: readonly string[], known: readonly string[], where: string, site: Site | null, subject: string, problems: Problem[]): void {
  for (const key of keys) {
    const near = closestName(key, known);
    problems.push(
      problem("unknown-option", `unknown option "${key}" in ${where}${near === undefined ? "" : `; did you mean "${near}"?`}`, site, {
        subject,
        hint: `the options are ${known.join(", ")}`,
      }),
    );
  }
}
