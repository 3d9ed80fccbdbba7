import { resolve } from "node:path";
import { AggError } from "../../errors.js";
import type { ServeLimits } from "../../serve/limits.js";
import type { GlobalOptions } from "../context.js";
import type { Io } from "../io.js";

export interface ServeOptions extends GlobalOptions {
  host?: string;
  port?: string;
  tokenFile?: string;
  workers?: string;
  maxIds?: string;
  maxBody?: string;
  requestTimeout?: string;
}

/** The options of `agg serve`, checked. */
export interface ServeSettings {
  readonly host: string;
  readonly port: number;
  readonly tokenFile: string | null;
  readonly workers: number;
  readonly limits: ServeLimits;
}

export const SERVE_DEFAULTS = { host: "127.0.0.1", port: "6566", workers: "1", maxIds: "10000", maxBody: "1048576", requestTimeout: "10000" } as const;

export function serveSettings(io: Io, options: ServeOptions): ServeSettings {
  const host = options.host ?? SERVE_DEFAULTS.host;
  if (host.trim() === "") throw new AggError("usage", "--host: empty", { hint: "pass an address to listen on, e.g. --host 127.0.0.1 (the default) or --host 0.0.0.0 for every interface" });
  return {
    host,
    port: whole("--port", options.port ?? SERVE_DEFAULTS.port, 0, 65_535, "a TCP port, 0 for any free one"),
    tokenFile: options.tokenFile === undefined ? null : resolve(io.cwd, options.tokenFile),
    workers: whole("--workers", options.workers ?? SERVE_DEFAULTS.workers, 1, 64, "processes serving the port, e.g. --workers 2 on two cores"),
    limits: {
      maxIds: whole("--max-ids", options.maxIds ?? SERVE_DEFAULTS.maxIds, 1, 1_000_000, "entity ids per request"),
      maxBodyBytes: whole("--max-body", options.maxBody ?? SERVE_DEFAULTS.maxBody, 1024, 256 * 1024 * 1024, "bytes per request body"),
      maxOutputs: 256,
      maxValues: 1_000_000,
      requestTimeoutMs: whole("--request-timeout", options.requestTimeout ?? SERVE_DEFAULTS.requestTimeout, 100, 3_600_000, "milliseconds for a request to arrive whole"),
    },
  };
}

function whole(flag: string, text: string, min: number, max: number, what: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new AggError("usage", `${flag} ${text}: expected a whole number from ${min} to ${max}`, { hint: `${flag} sets ${what}` });
  return n;
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `http://host:port`, with brackets around an IPv6 address. */
export function serverUrl(host: string, port: number): string {
  return `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
}
