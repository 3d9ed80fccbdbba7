import { CommanderError } from "@commander-js/extra-typings";
import { watchUnexpectedExit } from "../project/exit-watch.js";
import { redirectConsole } from "../project/redirect-console.js";
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
  const render = { json: argv.includes("--json"), verbose: argv.includes("--verbose") };
  // Feature code runs inside the command: what it prints goes to stderr (stdout may be
  // --json), and a process.exit it calls is an error, never a silent success.
  const restoreConsole = redirectConsole(io.err);
  const stopWatch = watchUnexpectedExit((error) => (process.exitCode = renderError(io, error, render)), io.cwd);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    return renderError(io, error, render);
  } finally {
    stopWatch();
    restoreConsole();
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
  // The command is done. Feature code may have left a timer or a socket open (a load that
  // timed out waiting, a pool made at load time): flush agg's output, and do not wait for them.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((flushed) => stream.write("", flushed))));
  process.exit();
}
