import type { Site } from "../dsl/site.js";

/** One thing wrong with a feature project; validation returns all of them as data. */
export interface Problem {
  readonly code: ProblemCode;
  /** What is wrong, one sentence, without the location. */
  readonly message: string;
  /** Where: the declaring file and line, when known. */
  readonly site: Site | null;
  /** The feature or namespace it concerns (FQN), when there is one. */
  readonly subject?: string;
  /** What to do about it. */
  readonly hint?: string;
}

export type ProblemCode =
  | "load-failed"
  | "unknown-option"
  | "empty-project"
  | "bad-name"
  | "duplicate-name"
  | "primary-key"
  | "feature-time"
  | "unknown-reference"
  | "join-key"
  | "bad-expression"
  | "bad-duration"
  | "bad-window"
  | "bad-bucket"
  | "bad-schedule"
  | "bad-stream"
  | "bad-source";

export function problem(code: ProblemCode, message: string, site: Site | null, extra: { subject?: string; hint?: string } = {}): Problem {
  return { code, message, site, ...extra };
}

/** `features/user.ts:12`, relative to `root` when inside it. */
export function formatSite(site: Site | null, root: string): string {
  if (site === null) return "";
  const file = site.file.startsWith(root + "/") ? site.file.slice(root.length + 1) : site.file;
  return `${file}:${site.line}`;
}
