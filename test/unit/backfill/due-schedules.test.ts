import { describe, expect, it } from "vitest";
import { dueFeatures, nextDue, type ScheduledFeature } from "../../../src/backfill/due-schedules.js";
import { parseSchedule } from "../../../src/time/schedule.js";

const HOUR = 3_600_000;
const T = Date.UTC(2024, 2, 1, 12, 0);
const feature = (fqn: string, text: string): ScheduledFeature => ({ fqn, text, schedule: parseSchedule(text) });
const hourly = feature("user.a", "0 * * * *");
const sixHours = feature("user.b", "6h");

describe("dueFeatures", () => {
  it("a feature that never ran is due", () => {
    expect(dueFeatures([hourly, sixHours], new Map(), T).map((f) => f.fqn)).toEqual(["user.a", "user.b"]);
  });

  it("due once a scheduled instant passed since the last run, inclusive of now", () => {
    const runs = new Map([["user.a", T - 30 * 60_000], ["user.b", T - 30 * 60_000]]);
    // 12:00 is both the top of an hour and a multiple of 6h since the epoch.
    expect(dueFeatures([hourly, sixHours], runs, T).map((f) => f.fqn)).toEqual(["user.a", "user.b"]);
    expect(dueFeatures([hourly, sixHours], runs, T - 1).map((f) => f.fqn)).toEqual([]);
    expect(dueFeatures([hourly, sixHours], new Map([["user.a", T], ["user.b", T]]), T + HOUR).map((f) => f.fqn)).toEqual(["user.a"]);
  });
});

describe("nextDue", () => {
  it("the earliest next run over all features, with every feature due then", () => {
    expect(nextDue([hourly, sixHours], new Map([["user.a", T], ["user.b", T]]), T)).toEqual({ at: T + HOUR, features: ["user.a"] });
    expect(nextDue([hourly, sixHours], new Map([["user.a", T + 5 * HOUR], ["user.b", T]]), T + 5 * HOUR)).toEqual({ at: T + 6 * HOUR, features: ["user.a", "user.b"] });
  });

  it("an overdue feature is due now, not in the past", () => {
    expect(nextDue([hourly], new Map([["user.a", T - 5 * HOUR]]), T)).toEqual({ at: T, features: ["user.a"] });
  });
});
