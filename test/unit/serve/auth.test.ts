import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAggError } from "../../../src/errors.js";
import { bearerGuard } from "../../../src/serve/auth.js";
import { HttpError } from "../../../src/serve/http-error.js";
import { readTokenFile } from "../../../src/serve/token-file.js";
import { tempDir } from "../../helpers/cli.js";

const refusal = (fn: () => void): HttpError | null => {
  try {
    fn();
    return null;
  } catch (error) {
    return error as HttpError;
  }
};

describe("bearerGuard", () => {
  const guard = bearerGuard("s3cret-token-value");

  it("passes the token in any case of the scheme, with any spaces between", () => {
    for (const header of ["Bearer s3cret-token-value", "bearer s3cret-token-value", "BEARER \t s3cret-token-value ", "Bearer s3cret-token-value\t"]) expect(refusal(() => guard(header)), header).toBeNull();
  });

  it("refuses anything else with a 401 that says how to authenticate", () => {
    for (const header of [undefined, "", "Bearer", "Bearer ", "s3cret-token-value", "Basic s3cret-token-value", "Bearer s3cret-token-valu", "Bearer s3cret-token-value2", "Bearer s3cret-token-value extra", "Bearer S3CRET-TOKEN-VALUE"]) {
      const error = refusal(() => guard(header));
      expect(error, String(header)).toBeInstanceOf(HttpError);
      expect([error!.status, error!.code]).toEqual([401, "unauthorized"]);
      expect(error!.headers["www-authenticate"]).toMatch(/^Bearer realm="agg", error="invalid_(request|token)"$/);
    }
  });
});

describe("readTokenFile", () => {
  const dir = tempDir();
  const file = (name: string, text: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };

  it("reads the token without surrounding white space; warns of a file others can read and of a short token", () => {
    expect(readTokenFile(file("a", "  0123456789abcdef0123456789abcdef\r\n"))).toEqual({ token: "0123456789abcdef0123456789abcdef", warnings: [] });
    const { warnings } = readTokenFile(file("b", "short", 0o640));
    expect(warnings).toEqual([expect.stringContaining("can be read by other users (mode 640); chmod 600 it"), expect.stringContaining("the token is 5 characters long")]);
  });

  it("refuses a missing, empty or malformed token as a usage error", () => {
    for (const path of [join(dir, "none"), file("c", " \n"), file("d", "two words"), file("e", 'quo"te'), file("f", "é-token")]) {
      let error: unknown;
      try {
        readTokenFile(path);
      } catch (e) {
        error = e;
      }
      expect(isAggError(error) && error.code, path).toBe("usage");
    }
  });
});
