import { isAggError } from "../errors.js";
import { isSqliteError } from "../store/store-error.js";

/** An answer other than 200: a status, a stable code, a sentence and what to do about it. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: number;
  readonly code: string;
  readonly hint: string | null;
  /** Extra response headers (WWW-Authenticate, Allow). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, hint: string | null = null, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint;
    this.headers = headers;
  }
}

/** The body of every error response: `{"error": {"code", "message", "hint"}}`. */
export function errorBody(error: HttpError): { error: { code: string; message: string; hint: string | null } } {
  return { error: { code: error.code, message: error.message, hint: error.hint } };
}

const SHAPE_HINT = "see the agg serve section of the README for each endpoint's request body";

interface FrameworkError {
  code?: unknown;
  statusCode?: unknown;
  validation?: readonly { instancePath?: string; message?: string; keyword?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
  message?: unknown;
}

/**
 * Any error thrown while answering, as the response to send. Errors of the request
 * (framework 4xx, schema, our own) keep their status; the store's are 503; anything else is
 * a 500 whose message says nothing of the server's insides (`internal` tells the caller to log it).
 */
export function toHttpError(error: unknown, limits: { maxBodyBytes: number }): { http: HttpError; internal: boolean } {
  if (error instanceof HttpError) return { http: error, internal: false };
  if (isSqliteError(error) || (isAggError(error) && error.code === "store")) {
    const message = error instanceof Error ? error.message : String(error);
    return { http: new HttpError(503, "store_unavailable", `the store could not be read: ${message}`, "try again; if it persists, run agg check --store"), internal: false };
  }
  if (isAggError(error) && error.code === "usage") return { http: new HttpError(400, "invalid_request", error.message, error.hint ?? SHAPE_HINT), internal: false };
  const e = (typeof error === "object" && error !== null ? error : {}) as FrameworkError;
  if (Array.isArray(e.validation)) return { http: validationError(e.validation, e.validationContext ?? "body"), internal: false };
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { http: new HttpError(413, "payload_too_large", `the request body is larger than ${limits.maxBodyBytes} bytes`, "send fewer ids per request, or start agg serve with a larger --max-body"), internal: false };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { http: new HttpError(415, "unsupported_media_type", "the request body must be JSON", 'send the header "Content-Type: application/json"'), internal: false };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { http: new HttpError(400, "invalid_json", "the request body is empty", SHAPE_HINT), internal: false };
  }
  const status = typeof e.statusCode === "number" ? e.statusCode : 500;
  if (status >= 400 && status < 500) return { http: new HttpError(status, "bad_request", typeof e.message === "string" ? e.message : "bad request", SHAPE_HINT), internal: false };
  return { http: new HttpError(500, "internal", "the server failed to answer this request (a bug in agg: its log on stderr has the details)", "report it with the request that caused it"), internal: true };
}

function validationError(errors: NonNullable<FrameworkError["validation"]>, context: string): HttpError {
  const first = errors[0] ?? {};
  const at = first.instancePath ?? "";
  const path = `${context}${at.replace(/\/([^/]*)/g, (_, raw: string) => {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    return /^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  })}`;
  const params = first.params ?? {};
  // A value matching no branch of an anyOf (an id: a string or an integer) reports each branch.
  const here = errors.filter((e) => (e.instancePath ?? "") === at && e.keyword !== "anyOf");
  const types = here.every((e) => e.keyword === "type") && errors.some((e) => e.keyword === "anyOf" && (e.instancePath ?? "") === at) ? here.map((e) => String(e.params?.type)) : null;
  const message =
    first.keyword === "additionalProperties"
      ? `${path}: unknown field ${JSON.stringify(params.additionalProperty)}`
      : first.keyword === "required"
        ? `${path}: missing field ${JSON.stringify(params.missingProperty)}`
        : types !== null && types.length > 1
          ? `${path}: must be ${types.join(" or ")}`
          : `${path}: ${first.message ?? "is not valid"}`;
  return new HttpError(400, "invalid_request", message, SHAPE_HINT);
}
