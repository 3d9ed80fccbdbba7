import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(REPO, "bin", "agg.js");
export const SAMPLE_PROJECT = join(REPO, "features");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly input?: string;
  readonly env?: Record<string, string>;
}

/** Runs the built `agg` binary as a subprocess, without colors, and waits for it. */
export function runAgg(args: readonly string[], options: RunOptions): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    input: options.input ?? "",
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", AGG_PROJECT: "", AGG_STORE: "", CI: "1", ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Starts `agg` without waiting (for kill and concurrency tests). */
export function startAgg(args: readonly string[], options: RunOptions) {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", AGG_PROJECT: "", AGG_STORE: "", CI: "1", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** A fresh temporary folder. */
export function tempDir(prefix = "agg-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `files` (relative path -> text) under `dir`; returns `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A temp folder holding a copy of the sample project as ./features. */
export function sampleWorkspace(): string {
  const dir = tempDir();
  cpSync(SAMPLE_PROJECT, join(dir, "features"), { recursive: true });
  return dir;
}
