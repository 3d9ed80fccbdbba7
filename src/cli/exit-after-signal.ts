import { constants } from "node:os";

/** Ends the process as a signal's own handler would (128 + its number), once the output is written. */
export async function exitAfterSignal(signal: string): Promise<never> {
  const number = (constants.signals as Record<string, number | undefined>)[signal] ?? 0;
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((written) => stream.write("", written))));
  process.exit(128 + number);
}
