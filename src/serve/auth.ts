import { createHash, timingSafeEqual } from "node:crypto";
import { HttpError } from "./http-error.js";

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * A check of `Authorization: Bearer <token>` against `token`, in constant time: both sides
 * are hashed to 32 bytes first, so neither the comparison nor the lengths tell how much of
 * a guess was right. Throws the 401 to send; returns when the token matches.
 */
export function bearerGuard(token: string): (header: string | undefined) => void {
  const expected = digest(token);
  return (header) => {
    const match = header === undefined ? null : BEARER.exec(header);
    if (match === null) throw unauthorized("this endpoint needs an Authorization: Bearer <token> header", 'error="invalid_request"');
    if (!timingSafeEqual(digest(match[1]!), expected)) throw unauthorized("the bearer token is not the server's", 'error="invalid_token"');
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function unauthorized(message: string, detail: string): HttpError {
  return new HttpError(401, "unauthorized", message, "send the token from the server's --token-file as Authorization: Bearer <token>", { "www-authenticate": `Bearer realm="agg", ${detail}` });
}
