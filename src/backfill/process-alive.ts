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
