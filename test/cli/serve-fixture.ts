/**
 * Starts the real `agg serve` (the built binary) on a free loopback port and talks HTTP
 * to it with node:http, one connection per request unless an agent is given.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { request as httpRequest, type Agent } from "node:http";
import { startAgg } from "../helpers/cli.js";

export interface Served {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  readonly proc: ChildProcessWithoutNullStreams;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `agg serve --port 0 ...args` in `dir`; resolves once it prints the address it listens on. */
export async function startServe(dir: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<Served> {
  const proc = startAgg(["serve", "--port", "0", ...args], { cwd: dir, env });
  proc.stdin.end();
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agg serve did not start within 30 s:\n${stderr}`)), 30_000);
    const look = () => {
      const match = /listening on http:\/\/[^\s]+:(\d+) /.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    };
    proc.stdout.on("data", look);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`agg serve exited with ${code} before listening:\n${stderr}`));
    });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    proc,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** `agg serve ... ` that is expected not to start: its exit code and output. */
export async function failServe(dir: string, args: readonly string[], env: Record<string, string> = {}) {
  const proc = startAgg(["serve", ...args], { cwd: dir, env });
  proc.stdin.end();
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | null>((resolve) => proc.once("exit", (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body as JSON (undefined when it is not JSON). */
  readonly json: any;
}

export interface RequestOptions {
  readonly method?: string;
  /** An object is sent as JSON; a string or bytes as they are. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly agent?: Agent | false;
}

/** One HTTP request to 127.0.0.1:port; POST with a JSON content type when there is a body. */
export function call(port: number, path: string, options: RequestOptions = {}): Promise<Answer> {
  const raw = options.body;
  const payload = raw === undefined ? undefined : typeof raw === "string" || raw instanceof Uint8Array ? Buffer.from(raw as string) : Buffer.from(JSON.stringify(raw));
  const headers: Record<string, string> = { ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": String(payload.length) }), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: options.method ?? (payload === undefined ? "GET" : "POST"), headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** Waits until `check` returns true (polling), or fails after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 20_000, what = "the condition"): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not hold within ${ms / 1000} s`);
}
