import { PUBSUB_KEYS, REDIS_STREAM_KEYS, type BrokerSourceSpec } from "../dsl/broker-sources.js";
import type { Site } from "../dsl/site.js";
import { problem, type Problem } from "./problem.js";
import { reportUnknownOptions } from "./unknown-options.js";

/** The problems of a stream resolver's declared broker (`redisStream` / `pubSub`), pushed to `problems`. */
export function validateBrokerSource(broker: BrokerSourceSpec, site: Site, problems: Problem[]): void {
  const fn = broker.kind === "redis" ? "redisStream" : "pubSub";
  const subject = `${fn}(${typeof broker.name === "string" ? `"${broker.name}"` : ""})`;
  const text = (key: string, value: unknown, example: string) => {
    if (typeof value !== "string" || value.trim() === "") problems.push(problem("bad-source", `${subject}: ${key} must be a non-empty string`, site, { hint: `write ${key}: ${example}` }));
  };
  text("name", broker.name, '"transactions" (the name `agg ingest --source` uses)');
  if (broker.kind === "redis") {
    text("stream", broker.stream, '"payments" (the stream\'s key)');
    text("group", broker.group, '"agg" (the consumer group)');
    if (broker.url !== undefined) {
      const url = typeof broker.url === "string" ? parseUrl(broker.url) : null;
      if (url === null || (url.protocol !== "redis:" && url.protocol !== "rediss:")) {
        problems.push(problem("bad-source", `${subject}: url ${JSON.stringify(broker.url)} is not a redis:// or rediss:// URL`, site, { hint: 'write url: "redis://127.0.0.1:6379", or leave it out and set AGG_SOURCE_<NAME>_URL' }));
      }
    }
    if (broker.field !== undefined) text("field", broker.field, '"data" (the entry field holding the JSON message)');
    if (broker.startFrom !== undefined && broker.startFrom !== "0" && broker.startFrom !== "$") {
      problems.push(problem("bad-source", `${subject}: startFrom must be "0" or "$", not ${JSON.stringify(broker.startFrom)}`, site, { hint: 'write "0" to read every retained entry (the default) or "$" for new entries only' }));
    }
    const idle = broker.claimIdleMs;
    if (idle !== undefined && !(typeof idle === "number" && Number.isInteger(idle) && idle >= 100 && idle <= 86_400_000)) {
      problems.push(problem("bad-source", `${subject}: claimIdleMs must be a whole number of milliseconds between 100 and 86400000`, site, { hint: "write claimIdleMs: 30000 (the default): how long another consumer's entry stays unacknowledged before this one takes it over" }));
    }
    reportUnknownOptions(broker.unknownOptions, REDIS_STREAM_KEYS, subject, site, subject, problems);
  } else {
    text("project", broker.project, '"my-project" (the Google Cloud project id)');
    text("subscription", broker.subscription, '"agg-transactions" (the subscription id)');
    reportUnknownOptions(broker.unknownOptions, PUBSUB_KEYS, subject, site, subject, problems);
  }
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
