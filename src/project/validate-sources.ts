import { OFFLINE_SOURCE_KEYS, type OfflineSourceSpec } from "../dsl/offline-source.js";
import { STREAM_KEYS, type StreamSpec } from "../dsl/stream.js";
import type { NamespaceModel, OfflineSourceModel, StreamModel } from "./model.js";
import { formatSite, problem, type Problem } from "./problem.js";
import { reportUnknownOptions } from "./unknown-options.js";
import { validateBrokerSource } from "./validate-broker-source.js";

/** Stream resolvers by source name. */
export function validateStreams(declared: readonly { spec: StreamSpec; file: string }[], namespaces: ReadonlyMap<string, NamespaceModel>, problems: Problem[], base: string): Map<string, StreamModel> {
  const streams = new Map<string, StreamModel>();
  for (const { spec, file } of declared) {
    const site = spec.site ?? { file, line: 1, column: 1 };
    const subject = `stream "${spec.source}"`;
    const before = problems.length;
    if (typeof spec.source !== "string" || spec.source === "") problems.push(problem("bad-stream", "a stream resolver has no source name", site, { hint: 'write source: "transactions"' }));
    else if (streams.has(spec.source)) problems.push(problem("duplicate-name", `${subject} is declared twice (also at ${formatSite(streams.get(spec.source)!.site, base)})`, site, { hint: "source names must be unique; rename one" }));
    if (typeof spec.message?.["~standard"]?.validate !== "function") problems.push(problem("bad-stream", `${subject}: message is not a schema`, site, { hint: "pass a zod schema (or any Standard Schema), e.g. message: z.object({ ... })" }));
    if (typeof spec.resolve !== "function") problems.push(problem("bad-stream", `${subject}: resolve is not a function`, site, { hint: "write resolve: (m) => ({ ...row }) " }));
    if (spec.broker !== null) validateBrokerSource(spec.broker, spec.broker.site ?? site, problems);
    if (spec.parse !== null && typeof spec.parse !== "function") problems.push(problem("bad-stream", `${subject}: parse is not a function`, site, { hint: "write parse: (bytes) => JSON.parse(new TextDecoder().decode(bytes)), or leave it out for JSON" }));
    reportUnknownOptions(spec.unknownOptions ?? [], STREAM_KEYS, subject, site, subject, problems);
    const output = namespaces.get(spec.output);
    if (output === undefined) problems.push(problem("unknown-reference", `${subject}: output is not an exported namespace`, site, { hint: "export the namespace and pass it as output" }));
    else if (output.primaryKey === null) problems.push(problem("primary-key", `${subject}: output namespace "${output.name}" has no primary key, so rows cannot be logged`, site, { hint: `mark one feature of "${output.name}" with .primary()` }));
    else if (output.featureTime === null) problems.push(problem("feature-time", `${subject}: output namespace "${output.name}" has no event time`, site, { hint: `mark a datetime feature of "${output.name}" with .featureTime()` }));
    if (problems.length === before) streams.set(spec.source, { ...spec, file, where: formatSite(site, base) });
  }
  return streams;
}

/** Offline sources by name. */
export function validateOfflineSources(declared: readonly { spec: OfflineSourceSpec; file: string }[], namespaces: ReadonlyMap<string, NamespaceModel>, problems: Problem[], base: string): Map<string, OfflineSourceModel> {
  const sources = new Map<string, OfflineSourceModel>();
  for (const { spec, file } of declared) {
    const site = spec.site ?? { file, line: 1, column: 1 };
    const subject = `offline source "${spec.name}"`;
    const before = problems.length;
    if (typeof spec.name !== "string" || spec.name === "") problems.push(problem("bad-source", "an offline source has no name", site, { hint: 'write name: "warehouse"' }));
    else if (sources.has(spec.name)) problems.push(problem("duplicate-name", `${subject} is declared twice (also at ${formatSite(sources.get(spec.name)!.site, base)})`, site, { hint: "source names must be unique; rename one" }));
    if (spec.input === null) problems.push(problem("bad-source", `${subject} names no input`, site, { hint: 'add sqlite: { path, query }, csv: "file.csv" or ndjson: "file.ndjson"' }));
    reportUnknownOptions(spec.unknownOptions ?? [], OFFLINE_SOURCE_KEYS, subject, site, subject, problems);
    const output = namespaces.get(spec.output);
    if (output === undefined) problems.push(problem("unknown-reference", `${subject}: output is not an exported namespace`, site, { hint: "export the namespace and pass it as output" }));
    else if (output.primaryKey === null || output.featureTime === null) problems.push(problem("primary-key", `${subject}: output namespace "${output.name}" needs a primary key and an event time`, site));
    if (problems.length === before) sources.set(spec.name, { ...spec, file });
  }
  return sources;
}
