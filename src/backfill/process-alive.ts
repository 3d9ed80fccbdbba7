import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Whether a process with this id exists on this machine. Signal 0 checks without
 * sending anything; EPERM means it exists but belongs to someone else.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * When the process `pid` started, as a text that differs between two processes that had
 * the same PID in turn (PIDs are reused): on Linux the boot id and field 22 of
 * /proc/PID/stat (start time in clock ticks since boot), elsewhere `ps -o lstart=`. Null
 * when neither can be read (then only the PID is known).
 */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are
    // counted after the last ')'; there the state is field 3, and the start time field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = fields[22 - 3];
    if (ticks !== undefined && /^\d+$/.test(ticks)) return `linux:${bootId()}:${ticks}`;
  } catch {
    // No /proc (macOS, BSD), or the process is gone.
  }
  if (process.platform === "win32") return null;
  const ps = spawnSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", timeout: 2000 });
  const started = ps.status === 0 ? ps.stdout.trim() : "";
  return started === "" ? null : `ps:${started}`;
}

let boot: string | undefined;

function bootId(): string {
  if (boot === undefined) {
    try {
      boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      boot = "";
    }
  }
  return boot;
}

/**
 * What became of the process recorded for a job: still running (`alive`), `gone`, or
 * `reused` (a process with that PID runs, but it started at another time than the one
 * recorded: not the job's). Without a recorded start time, only the PID is checked.
 */
export function processState(pid: number, start: string | null): "alive" | "gone" | "reused" {
  if (!processAlive(pid)) return "gone";
  if (start === null) return "alive";
  const now = processStart(pid);
  if (now === null) return processAlive(pid) ? "alive" : "gone";
  return now === start ? "alive" : "reused";
}
