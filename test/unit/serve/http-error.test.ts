import { describe, expect, it } from "vitest";
import { AggError } from "../../../src/errors.js";
import { errorBody, HttpError, toHttpError } from "../../../src/serve/http-error.js";

const limits = { maxBodyBytes: 4096 };
const of = (error: unknown) => toHttpError(error, limits);

describe("toHttpError", () => {
  it("keeps an HttpError, and gives every response the same body shape", () => {
    const error = new HttpError(400, "invalid_time", "now: bad", "write ISO");
    expect(of(error)).toEqual({ http: error, internal: false });
    expect(errorBody(error)).toEqual({ error: { code: "invalid_time", message: "now: bad", hint: "write ISO" } });
  });

  it("words schema errors by where they are in the body", () => {
    const v = (validation: object[]) => of({ validation, validationContext: "body" }).http;
    expect(v([{ instancePath: "", keyword: "additionalProperties", params: { additionalProperty: "nope" } }]).message).toBe('body: unknown field "nope"');
    expect(v([{ instancePath: "", keyword: "required", params: { missingProperty: "outputs" } }]).message).toBe('body: missing field "outputs"');
    expect(v([{ instancePath: "/outputs/3", keyword: "type", message: "must be string", params: { type: "string" } }]).message).toBe("body.outputs[3]: must be string");
    const anyOf = [
      { instancePath: "/inputs/user.id", keyword: "type", params: { type: "string" } },
      { instancePath: "/inputs/user.id", keyword: "type", params: { type: "integer" } },
      { instancePath: "/inputs/user.id", keyword: "anyOf", message: "must match a schema in anyOf" },
    ];
    expect(v(anyOf).message).toBe('body.inputs["user.id"]: must be string or integer');
    expect(v([{ instancePath: "/inputs/a~1b", keyword: "minLength", message: "must NOT have fewer than 1 characters" }]).message).toBe('body.inputs["a/b"]: must NOT have fewer than 1 characters');
    expect(v([]).status).toBe(400);
  });

  it("maps the framework's refusals to 413, 415 and 400, and its other 4xx as they are", () => {
    expect([of({ code: "FST_ERR_CTP_BODY_TOO_LARGE", statusCode: 413 }).http.status, of({ code: "FST_ERR_CTP_BODY_TOO_LARGE" }).http.message]).toEqual([413, "the request body is larger than 4096 bytes"]);
    expect(of({ code: "FST_ERR_CTP_INVALID_MEDIA_TYPE", statusCode: 415 }).http.code).toBe("unsupported_media_type");
    expect(of({ code: "FST_ERR_CTP_EMPTY_JSON_BODY", statusCode: 400 }).http.code).toBe("invalid_json");
    expect(of({ code: "FST_ERR_CTP_INVALID_CONTENT_LENGTH", statusCode: 400, message: "Request body size did not match Content-Length" }).http).toMatchObject({ status: 400, code: "bad_request" });
  });

  it("the store's errors are 503; anything unexpected a 500 that tells nothing of the insides", () => {
    expect(of(new AggError("store", "store corrupt")).http).toMatchObject({ status: 503, code: "store_unavailable" });
    expect(of(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" })).http.status).toBe(503);
    expect(of(new AggError("usage", "bad", { hint: "h" })).http).toMatchObject({ status: 400, code: "invalid_request", hint: "h" });
    const internal = of(new TypeError("x is undefined at /secret/path.js:1"));
    expect(internal.internal).toBe(true);
    expect(internal.http).toMatchObject({ status: 500, code: "internal" });
    expect(internal.http.message).not.toContain("secret");
  });
});
