import { CommanderError } from "@commander-js/extra-typings";
import { renderError } from "./render-error.js";
import { processIo, type Io } from "./io.js";
import { buildProgram } from "./program.js";

/** Runs agg with `argv` (without node and script); returns the exit code (SPEC 6). */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  program.exitOverride();
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const subsub of sub.commands) subsub.exitOverride();
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    return renderError(io, error, { json: argv.includes("--json"), verbose: argv.includes("--verbose") });
  }
}

if (process.argv[1] !== undefined && /[\\/](agg|agg\.js|main\.js)$/.test(process.argv[1])) {
  // A reader that stops early (`agg list | head -1`) is not an error: end quietly, not
  // with Node's unhandled-EPIPE stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(process.exitCode ?? 0);
    });
  }
  process.exitCode = await runCli(process.argv.slice(2), await processIo());
}
