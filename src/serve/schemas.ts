import { MAX_ID_LENGTH, type ServeLimits } from "./limits.js";

// JSON Schemas of the request bodies, checked by fastify (ajv) before a handler runs:
// types and field names only. Ids, names and times are checked again by the handlers,
// which give the errors that need the project (unknown features, missing inputs).

const id = { anyOf: [{ type: "string", minLength: 1, maxLength: MAX_ID_LENGTH }, { type: "integer" }] } as const;
const time = { type: "string", maxLength: 64 } as const;

const outputs = (limits: ServeLimits) => ({ type: "array", minItems: 1, maxItems: limits.maxOutputs, items: { type: "string", maxLength: 256 } }) as const;

/** POST /v1/query/online: `{"inputs": {"user.id": "u1"}, "outputs": [...], "now"?, "include_meta"?, "explain"?}`. */
export function onlineSchema(limits: ServeLimits) {
  return {
    type: "object",
    required: ["inputs", "outputs"],
    additionalProperties: false,
    properties: {
      inputs: { type: "object", minProperties: 1, maxProperties: 16, additionalProperties: id },
      outputs: outputs(limits),
      now: time,
      include_meta: { type: "boolean" },
      explain: { type: "boolean" },
    },
  } as const;
}

/** POST /v1/query/bulk: `{"inputs": {"user.id": ["u1", ...]}, "outputs": [...], "now"?: T | [T, ...]}`. */
export function bulkSchema(limits: ServeLimits) {
  return {
    type: "object",
    required: ["inputs", "outputs"],
    additionalProperties: false,
    properties: {
      inputs: { type: "object", minProperties: 1, maxProperties: 16, additionalProperties: { type: "array", minItems: 1, items: id } },
      outputs: outputs(limits),
      now: { anyOf: [time, { type: "array", minItems: 1, items: time }] },
    },
  } as const;
}

/** POST /get-online-features (Feast): `{"features": [...], "entities": {"user_id": [...]}, "full_feature_names"?}`. */
export function feastSchema(limits: ServeLimits) {
  return {
    type: "object",
    required: ["features", "entities"],
    additionalProperties: false,
    properties: {
      features: outputs(limits),
      entities: { type: "object", minProperties: 1, maxProperties: 16, additionalProperties: { type: "array", minItems: 1, items: id } },
      full_feature_names: { type: "boolean" },
      now: time,
    },
  } as const;
}
