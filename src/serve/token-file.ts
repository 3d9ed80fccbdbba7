import { readFileSync, statSync } from "node:fs";
import { AggError } from "../errors.js";

/** RFC 6750's b64token: what a bearer token may hold, so it fits in a header as it is. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token in `path`: the file's text without surrounding white space (a final line break
 * is normal). Warnings (returned, not printed) say when the file is readable by others or
 * the token is short; a missing, empty or malformed token is a usage error.
 */
export function readTokenFile(path: string): { token: string; warnings: string[] } {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, "utf8");
    mode = statSync(path).mode;
  } catch (error) {
    throw new AggError("usage", `--token-file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { hint: "write the token to a file only you can read: openssl rand -hex 32 > token && chmod 600 token" });
  }
  const token = text.trim();
  if (token === "") throw new AggError("usage", `--token-file: ${path} is empty`, { hint: "write a token to it: openssl rand -hex 32 > token" });
  if (!TOKEN.test(token)) {
    throw new AggError("usage", `--token-file: the token in ${path} holds characters a bearer token cannot (white space, quotes, or other than letters, digits and -._~+/=)`, { hint: "use a random hex or base64url token: openssl rand -hex 32 > token" });
  }
  const warnings: string[] = [];
  if ((mode & 0o077) !== 0) warnings.push(`--token-file: ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  if (token.length < 16) warnings.push(`--token-file: the token is ${token.length} characters long; one of 32 or more random characters cannot be guessed (openssl rand -hex 32)`);
  return { token, warnings };
}
