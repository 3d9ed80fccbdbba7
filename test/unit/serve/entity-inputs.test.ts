import { describe, expect, it } from "vitest";
import type { Project } from "../../../src/project/model.js";
import { entityId, entityKeyNames, namespaceOfKey } from "../../../src/serve/entity-inputs.js";
import { HttpError } from "../../../src/serve/http-error.js";
import { isLoopback, serverUrl } from "../../../src/cli/commands/serve-settings.js";

const project = (namespaces: [string, string | null][]) => ({ namespaces: new Map(namespaces.map(([name, primaryKey]) => [name, { name, primaryKey }])) }) as unknown as Project;

describe("entity keys", () => {
  it("names each namespace's entity as ns.pk and ns_pk; a name two namespaces could mean is left out", () => {
    const keys = entityKeyNames(project([["user", "id"], ["account", "x_id"], ["event", null]]));
    expect([...keys].sort()).toEqual([["account.x_id", "account"], ["account_x_id", "account"], ["user.id", "user"], ["user_id", "user"]]);
    // user_x_id could be user's x_id or user_x's id.
    const clash = entityKeyNames(project([["user", "x_id"], ["user_x", "id"]]));
    expect(clash.has("user_x_id")).toBe(false);
    expect(clash.get("user.x_id")).toBe("user");
    expect(clash.get("user_x.id")).toBe("user_x");
  });

  it("an unknown key is a 400 that lists the dotted names", () => {
    const keys = entityKeyNames(project([["user", "id"], ["merchant", "id"]]));
    expect(namespaceOfKey(keys, "inputs", "user_id")).toBe("user");
    for (const key of ["__proto__", "constructor", "toString", "user", "user.ID"]) {
      try {
        namespaceOfKey(keys, "inputs", key);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(HttpError);
        expect((error as HttpError).hint).toBe("name entities by their namespace's primary key: user.id, merchant.id");
      }
    }
  });
});

describe("entityId", () => {
  it("keeps strings as they are and writes safe integers in decimal, as ingest stores a numeric key", () => {
    expect(["u1", " u1 ", "__proto__", "é"].map((v) => entityId(v, "x"))).toEqual(["u1", " u1 ", "__proto__", "é"]);
    expect([7, -3, 0, 2 ** 53 - 1].map((v) => entityId(v, "x"))).toEqual(["7", "-3", "0", "9007199254740991"]);
  });

  it("refuses what no stored entity can have: empty, too long, lone surrogates, fractions, huge numbers, other types", () => {
    for (const value of ["", "x".repeat(1025), "a\ud800", 1.5, 2 ** 53, NaN, Infinity, null, undefined, true, {}, []]) {
      expect(() => entityId(value, "inputs.x"), String(value)).toThrow(HttpError);
    }
  });
});

describe("serve settings", () => {
  it("knows loopback addresses, and writes IPv6 ones in brackets", () => {
    expect(["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "example.com", "127.0.0.1.evil"].some(isLoopback)).toBe(false);
    expect(serverUrl("::1", 80)).toBe("http://[::1]:80");
    expect(serverUrl("127.0.0.1", 6566)).toBe("http://127.0.0.1:6566");
  });
});
