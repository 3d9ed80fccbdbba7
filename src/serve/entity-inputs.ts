import type { Project } from "../project/model.js";
import type { SelectedWindow } from "../query/select-windows.js";
import { HttpError } from "./http-error.js";
import { MAX_ID_LENGTH } from "./limits.js";

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The names an entity key may be given by in a request: `user.id` (Chalk's form) and
 * `user_id` (Feast's join-key form), for each namespace with a primary key. A name two
 * namespaces could mean is left out (the dotted form always works).
 */
export function entityKeyNames(project: Project): ReadonlyMap<string, string> {
  const names = new Map<string, string | null>();
  for (const ns of project.namespaces.values()) {
    if (ns.primaryKey === null) continue;
    for (const name of [`${ns.name}.${ns.primaryKey}`, `${ns.name}_${ns.primaryKey}`]) names.set(name, names.has(name) && names.get(name) !== ns.name ? null : ns.name);
  }
  return new Map([...names].filter((entry): entry is [string, string] => entry[1] !== null));
}

/** The namespace each input key names; an unknown key is a 400 that lists the known ones. */
export function namespaceOfKey(keys: ReadonlyMap<string, string>, field: string, key: string): string {
  const ns = keys.get(key);
  if (ns !== undefined) return ns;
  const dotted = [...keys.keys()].filter((k) => k.includes("."));
  throw new HttpError(400, "unknown_input", `${field}: ${JSON.stringify(key)} is not the primary key of a namespace`, `name entities by their namespace's primary key: ${dotted.join(", ") || "(the project declares no primary key)"}`);
}

/**
 * An id as the store holds it: a string as given, or an integer as its decimal text (as
 * ingest stores a numeric key). Everything else is a 400 naming where it was.
 */
export function entityId(value: unknown, where: string): string {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new HttpError(400, "invalid_id", `${where}: ${value} is not an id (numbers must be integers below 2^53)`, "send ids as strings");
    return String(value);
  }
  if (typeof value !== "string" || value === "") throw new HttpError(400, "invalid_id", `${where}: an id is a non-empty string or an integer`, "send ids as strings");
  if (value.length > MAX_ID_LENGTH) throw new HttpError(400, "invalid_id", `${where}: the id is longer than ${MAX_ID_LENGTH} characters, so no entity can have it`, "send the entity's id as ingest stored it");
  // Ingest rejects such ids (UTF-8 has no form for a lone surrogate), so none is stored.
  if (LONE_SURROGATE.test(value)) throw new HttpError(400, "invalid_id", `${where}: the id holds a lone surrogate (it is not well-formed Unicode), so no entity can have it`, "send ids as UTF-8 text");
  return value;
}

/** One namespace's id column of a request: the key it was given by, and its ids. */
export interface IdColumn {
  readonly key: string;
  readonly ids: string[];
}

/**
 * The id columns of a many-entity request (bulk's `inputs`, Feast's `entities`), by
 * namespace: every column as long as the first, each namespace named once, every id
 * checked. `noun` names a column in the hint ("input", "entity").
 */
export function idColumnsOf(keys: ReadonlyMap<string, string>, field: string, noun: string, columns: readonly [string, readonly unknown[]][]): Map<string, IdColumn> {
  const rows = columns[0]![1].length;
  const byNamespace = new Map<string, IdColumn>();
  for (const [key, values] of columns) {
    if (values.length !== rows) throw new HttpError(400, "invalid_request", `${field}[${JSON.stringify(key)}] has ${values.length} ids but ${field}[${JSON.stringify(columns[0]![0])}] has ${rows}`, `give every ${noun} column one id per row`);
    const ns = namespaceOfKey(keys, field, key);
    if (byNamespace.has(ns)) throw new HttpError(400, "invalid_request", `${field}: ${JSON.stringify(key)} and ${JSON.stringify(byNamespace.get(ns)!.key)} both name ${ns}`, "name each namespace's entity once");
    byNamespace.set(ns, { key, ids: values.map((v, i) => entityId(v, `${field}[${JSON.stringify(key)}][${i}]`)) });
  }
  return byNamespace;
}

/** The selected windows grouped by the namespace whose entity they describe, in request order. */
export function windowsByNamespace(windows: readonly SelectedWindow[]): Map<string, SelectedWindow[]> {
  const out = new Map<string, SelectedWindow[]>();
  for (const w of windows) {
    const list = out.get(w.feature.namespace);
    if (list === undefined) out.set(w.feature.namespace, [w]);
    else list.push(w);
  }
  return out;
}

/** A 400 for outputs of a namespace whose entity the request does not name. */
export function missingInput(field: string, ns: string, windows: readonly SelectedWindow[], keys: ReadonlyMap<string, string>): HttpError {
  const key = [...keys].find(([k, n]) => n === ns && k.includes("."))?.[0] ?? `${ns}.<primary key>`;
  return new HttpError(400, "missing_input", `${field}: ${windows[0]!.fqn} is a feature of ${ns}, but no ${key} was given`, `add ${JSON.stringify(key)} to ${field}, or leave out the features of ${ns}`);
}
