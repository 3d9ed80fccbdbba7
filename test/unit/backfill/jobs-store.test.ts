import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { completeJob, createJob, failJob, failStaleJobs, listJobs, recordScheduleRun, startJob } from "../../../src/store/jobs.js";
import { scheduleRuns } from "../../../src/store/job-history.js";
import { openDatabase } from "../../../src/store/sqlite/open-store.js";
import { tempDir } from "../../helpers/cli.js";

const T = Date.UTC(2024, 2, 1);

describe("job records", () => {
  it("queued -> working -> completed or failed; stale working jobs of dead processes are failed", () => {
    const db = openDatabase(join(tempDir(), "store.db"));
    const a = createJob(db, { features: ["user.a"], series: [1, 2], source: "row log", pid: 101, pidStart: "s101" }, T);
    expect(listJobs(db, 10)[0]).toMatchObject({ id: a, status: "queued", features: ["user.a"], series: [1, 2], startedAt: null });
    startJob(db, a, T + 1);
    completeJob(db, a, { rows: 10, buckets: 3 }, T + 2);
    const b = createJob(db, { features: [], series: [1], source: "warehouse", pid: 102, pidStart: "s102" }, T + 3);
    startJob(db, b, T + 3);
    failJob(db, b, "boom", { rows: 4, buckets: 0 }, T + 4);
    const c = createJob(db, { features: [], series: [1], source: "row log", pid: 103, pidStart: null }, T + 5);
    startJob(db, c, T + 5);
    const d = createJob(db, { features: [], series: [1], source: "row log", pid: 104, pidStart: "s104" }, T + 6);
    startJob(db, d, T + 6);
    // Its PID now belongs to a process that started at another time.
    const e = createJob(db, { features: [], series: [1], source: "row log", pid: 105, pidStart: "s105" }, T + 7);
    startJob(db, e, T + 7);
    const running = new Map([[104, "s104"], [105, "later"]]);

    const seen: [number, string | null][] = [];
    const marked = failStaleJobs(db, (pid, start) => (seen.push([pid, start]), !running.has(pid) ? "gone" : running.get(pid) === start ? "alive" : "reused"), T + 10);
    expect(seen).toEqual([[103, null], [104, "s104"], [105, "s105"]]);
    expect(marked.map((j) => [j.id, j.state])).toEqual([[c, "gone"], [e, "reused"]]);
    expect(listJobs(db, 10).map((j) => [j.id, j.status, j.error, j.rows, j.finishedAt])).toEqual([
      [e, "failed", "stale: process 105 is not the process that ran the job (its PID was reused)", 0, T + 10],
      [d, "working", null, 0, null],
      [c, "failed", "stale: process 103 is gone", 0, T + 10],
      [b, "failed", "boom", 4, T + 4],
      [a, "completed", null, 10, T + 2],
    ]);
    expect(listJobs(db, 1).map((j) => j.id)).toEqual([e]);
    db.close();
  });

  it("schedule runs are recorded per feature, the latest winning", () => {
    const db = openDatabase(join(tempDir(), "store.db"));
    recordScheduleRun(db, "user.a", T);
    recordScheduleRun(db, "user.b", T + 1);
    recordScheduleRun(db, "user.a", T + 2);
    expect(scheduleRuns(db)).toEqual(new Map([["user.a", T + 2], ["user.b", T + 1]]));
    db.close();
  });
});
