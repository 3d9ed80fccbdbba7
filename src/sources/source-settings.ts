import { hostname } from "node:os";
import type { BrokerSourceSpec } from "../dsl/broker-sources.js";

export interface RedisSettings {
  readonly kind: "redis";
  readonly name: string;
  readonly url: string;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  /** The consumer name was given (env), so this process may read the pending entries it left. */
  readonly stableConsumer: boolean;
  readonly field: string;
  readonly startFrom: "0" | "$";
  readonly claimIdleMs: number;
}

export interface PubSubSettings {
  readonly kind: "pubsub";
  readonly name: string;
  readonly project: string;
  readonly subscription: string;
  /** PUBSUB_EMULATOR_HOST, when set: the client talks to the emulator there. */
  readonly emulatorHost: string | null;
}

export type SourceSettings = RedisSettings | PubSubSettings;

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
export const DEFAULT_CLAIM_IDLE_MS = 30_000;

/** `AGG_SOURCE_TRANSACTIONS_`: the prefix of a source's environment overrides (its name upper-cased, other characters as `_`). */
export function envPrefix(name: string): string {
  return `AGG_SOURCE_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_`;
}

/**
 * A declared broker's settings with the environment's overrides applied: connection
 * settings (and secrets) belong in the environment, not in feature files. Validation has
 * checked the declaration; the overrides are checked where they are used.
 */
export function sourceSettings(broker: BrokerSourceSpec, env: NodeJS.ProcessEnv, pid = process.pid): SourceSettings {
  const name = broker.name as string;
  const prefix = envPrefix(name);
  const from = (key: string, declared: unknown): string | undefined => {
    const value = env[`${prefix}${key}`];
    return value !== undefined && value !== "" ? value : typeof declared === "string" ? declared : undefined;
  };
  if (broker.kind === "pubsub") {
    const host = env.PUBSUB_EMULATOR_HOST;
    return { kind: "pubsub", name, project: from("PROJECT", broker.project)!, subscription: from("SUBSCRIPTION", broker.subscription)!, emulatorHost: host !== undefined && host !== "" ? host : null };
  }
  const consumer = from("CONSUMER", undefined);
  const idle = from("CLAIM_IDLE_MS", undefined);
  return {
    kind: "redis",
    name,
    url: from("URL", broker.url) ?? DEFAULT_REDIS_URL,
    stream: from("STREAM", broker.stream)!,
    group: from("GROUP", broker.group)!,
    consumer: consumer ?? `${hostname()}-${pid}`,
    stableConsumer: consumer !== undefined,
    field: typeof broker.field === "string" ? broker.field : "data",
    startFrom: broker.startFrom === "$" ? "$" : "0",
    claimIdleMs: idle !== undefined ? Number(idle) : typeof broker.claimIdleMs === "number" ? broker.claimIdleMs : DEFAULT_CLAIM_IDLE_MS,
  };
}

/** A URL as it may be printed: the password (if any) replaced by `***`. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}
