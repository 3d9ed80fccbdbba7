import { Command, Option } from "@commander-js/extra-typings";
import type { GlobalOptions } from "./context.js";
import type { Io } from "./io.js";

/** The root program's options (--project, --store, --verbose) as seen from a subcommand. */
const globals = (command: { optsWithGlobals(): object }): GlobalOptions => command.optsWithGlobals() as GlobalOptions;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Builds the `agg` program; each command lazy-imports its module, so `--help` stays fast. */
export function buildProgram(io: Io): Command {
  const program = new Command("agg")
    .description("Materialized windowed aggregations: typed features, a local bucket store, exact ingest, fast queries.")
    .version(VERSION, "-V, --version")
    .option("--project <dir>", "the feature project folder (env AGG_PROJECT; default ./features)")
    .option("--store [path]", "the SQLite store (env AGG_STORE; default .agg/store.db next to the project); `agg check --store` also verifies it")
    .option("--verbose", "print stack traces of errors")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      "\nExamples:\n  agg init features && agg ingest --source transactions --file features/events.ndjson\n  agg query --feature user.txn_sum --id u1 --at 2024-03-01T12:00:00Z\n  agg list --wide\n  agg backfill --feature user.txn_sum",
    )
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  const aggregate = program
    .command("aggregate")
    .description("the series table, backfills, jobs and schedules")
    .addHelpText("after", "\nExamples:\n  agg aggregate list --wide\n  agg aggregate backfill --feature user.txn_sum --plan\n  agg aggregate jobs\n  agg aggregate schedule --once");

  const addList = (cmd: Command) =>
    cmd
      .description("print the series table: one row per (series, aggregation, bucket size)")
      .option("--feature <fqn>", "only the series behind this feature (repeatable)", collect, [] as string[])
      .option("--wide", "add filter, stored buckets, status, last and next backfill")
      .option("--json", "print JSON on stdout")
      .addHelpText("after", "\nExamples:\n  agg list\n  agg list --feature user.txn_sum --wide\n  agg aggregate list --json")
      .action(async (opts, command) => (await import("./commands/list.js")).listCommand(io, { ...globals(command), ...opts }));
  addList(aggregate.command("list"));
  addList(program.command("list", { hidden: false }));

  const addBackfill = (cmd: Command) =>
    cmd
      .description("recompute the buckets of the series behind features from the row log or an offline source")
      .option("--feature <fqn>", "a feature to backfill (repeatable; default: every materialized series)", collect, [] as string[])
      .option("--lower-bound <time>", "start of the range (ISO-8601 or epoch seconds), aligned down to a bucket")
      .option("--upper-bound <time>", "end of the range (exclusive), aligned up to a bucket")
      .option("--source <name>", "read an offline source instead of the row log")
      .option("--plan", "print the plan and change nothing")
      .option("--json", "print JSON on stdout")
      .addHelpText("after", "\nExamples:\n  agg backfill --feature user.txn_sum\n  agg aggregate backfill --feature user.txn_sum --lower-bound 2024-01-01 --upper-bound 2024-02-01 --plan\n  agg backfill --source warehouse --json")
      .action(async (opts, command) => (await import("./commands/backfill.js")).backfillCommand(io, { ...globals(command), ...opts }));
  addBackfill(aggregate.command("backfill"));
  addBackfill(program.command("backfill"));

  aggregate
    .command("jobs")
    .description("the history of backfill jobs and their status")
    .option("--limit <n>", "show the newest N jobs", "20")
    .option("--json", "print JSON on stdout")
    .addHelpText("after", "\nExamples:\n  agg aggregate jobs\n  agg aggregate jobs --limit 5 --json")
    .action(async (opts, command) => (await import("./commands/jobs.js")).jobsCommand(io, { ...globals(command), ...opts }));

  aggregate
    .command("schedule")
    .description("run backfills when their backfillSchedule is due (foreground)")
    .option("--once", "run what is due now and exit")
    .option("--now <time>", "fix the clock (ISO-8601 or epoch seconds), for tests and replays")
    .option("--json", "print each run as a JSON line")
    .addHelpText("after", "\nExamples:\n  agg aggregate schedule\n  agg aggregate schedule --once\n  agg aggregate schedule --once --now 2024-03-01T12:00:00Z")
    .action(async (opts, command) => (await import("./commands/schedule.js")).scheduleCommand(io, { ...globals(command), ...opts }));

  program
    .command("ingest")
    .description("feed stream messages through a stream resolver into the row log and the buckets")
    .requiredOption("--source <name>", "the stream resolver's source name")
    .option("--file <path>", "read this file instead of stdin")
    .addOption(new Option("--format <format>", "the input format").choices(["ndjson", "csv"] as const).default("ndjson" as const))
    .addOption(new Option("--on-error <mode>", "stop at the first bad message, or skip bad ones").choices(["fail", "skip"] as const).default("fail" as const))
    .option("--dead-letter <file>", "write each rejected message with its reason to this file (NDJSON)")
    .option("--batch-size <n>", "messages per transaction (a batch also commits 1 s after it starts)", "50000")
    .option("--follow", "consume the source's broker (redisStream / pubSub) until SIGINT or SIGTERM, acknowledging each batch after it commits")
    .option("--json", "print the summary as JSON on stdout")
    .addHelpText("after", "\nExamples:\n  agg ingest --source transactions --file events.ndjson\n  cat events.csv | agg ingest --source transactions --format csv --on-error skip --dead-letter rejected.ndjson\n  agg ingest --source payments --follow --on-error skip --dead-letter rejected.ndjson")
    .action(async (opts, command) => (await import("./commands/ingest.js")).ingestCommand(io, { ...globals(command), ...opts }));

  program
    .command("query")
    .description("windowed feature values for entities at a point in time")
    .option("--feature <fqn>", "a feature: user.txn_sum (all windows), user.txn_sum__86400__, user.txn_sum[\"7d\"] (repeatable)", collect, [] as string[])
    .option("--id <value>", "an entity id (repeatable)", collect, [] as string[])
    .option("--ids-file <path>", "read entity ids from a file, one per line")
    .option("--at <time>", "the time to answer for (ISO-8601 or epoch seconds; default now)")
    .option("--explain", "show the buckets and row-log spans behind each value")
    .option("--json", "print JSON on stdout")
    .addHelpText("after", "\nExamples:\n  agg query --feature user.txn_sum --id u1 --id u2 --at 2024-03-01T12:00:00Z\n  agg query --feature 'user.txn_sum[\"7d\"]' --ids-file ids.txt --json\n  agg query --feature user.txn_mean__2592000__ --id u1 --explain")
    .action(async (opts, command) => (await import("./commands/query.js")).queryCommand(io, { ...globals(command), ...opts }));

  program
    .command("offline-query")
    .description("feature values at every (id, time) of a spine file: a point-in-time training set")
    .requiredOption("--spine <file>", "the spine: one row per (entity id, time), as .csv, .ndjson or .parquet; other columns pass through")
    .requiredOption("--id-column <name>", "the spine column holding the entity id")
    .requiredOption("--time-column <name>", "the spine column holding the time (ISO-8601, epoch seconds, or a Parquet timestamp)")
    .option("--feature <fqn>", "a feature: user.txn_sum (all windows), user.txn_sum__86400__, user.txn_sum[\"7d\"] (repeatable)", collect, [] as string[])
    .option("--out <file>", "write here (format from the extension) instead of stdout")
    .addOption(new Option("--format <format>", "the output format (default: from --out, else csv)").choices(["csv", "ndjson", "parquet"] as const))
    .addOption(new Option("--mode <mode>", "serving: what agg query --at T serves; exact: the row log over exactly (T - W, T]").choices(["serving", "exact"] as const).default("serving" as const))
    .option("--exclude-at-time", "with --mode exact: (T - W, T), so an event never feeds its own label row")
    .addOption(new Option("--on-error <mode>", "stop at the first bad spine row, or skip bad ones").choices(["fail", "skip"] as const).default("fail" as const))
    .option("--json", "print the summary as JSON on stdout (needs --out)")
    .addHelpText(
      "after",
      "\nExamples:\n  agg offline-query --spine labels.csv --id-column user_id --time-column ts --feature user.txn_sum --feature user.txn_mean --out training.parquet\n  agg offline-query --spine labels.ndjson --id-column user_id --time-column ts --feature 'user.txn_sum[\"7d\"]' --mode exact --exclude-at-time > training.csv\n  agg offline-query --spine labels.parquet --id-column user_id --time-column ts --feature user.txn_sum_by_merchant --out training.ndjson --json",
    )
    .action(async (opts, command) => (await import("./commands/offline-query.js")).offlineQueryCommand(io, { ...globals(command), ...opts }));

  program
    .command("serve")
    .description("serve feature values over HTTP (Chalk- and Feast-shaped endpoints), read-only beside ingest")
    .option("--host <address>", "the address to listen on (loopback by default)", "127.0.0.1")
    .option("--port <n>", "the TCP port (0: any free port, printed at start)", "6566")
    .option("--token-file <file>", "require Authorization: Bearer <the file's token> on every endpoint but /health")
    .option("--workers <n>", "processes serving the port, each with its own read-only connection", "1")
    .option("--max-ids <n>", "entity ids per request (more is a 400)", "10000")
    .option("--max-body <bytes>", "request body size (more is a 413)", "1048576")
    .option("--request-timeout <ms>", "time for a request to arrive whole (then 408)", "10000")
    .addHelpText(
      "after",
      "\nExamples:\n  agg serve\n  agg serve --port 8080 --workers 2 --token-file /etc/agg/token\n  curl -s localhost:6566/v1/query/online -H 'content-type: application/json' -d '{\"inputs\": {\"user.id\": \"u1\"}, \"outputs\": [\"user.txn_sum\"]}'\n  kill -HUP <pid>   # reload the feature project; SIGTERM drains and exits 0",
    )
    .action(async (opts, command) => (await import("./commands/serve.js")).serveCommand(io, { ...globals(command), ...opts }));

  program
    .command("check")
    .description("load and validate the feature project; report every problem (with --store [PATH], also verify the store)")
    .option("--json", "print JSON on stdout")
    .addHelpText("after", "\nExamples:\n  agg check\n  agg check --project ./features --json\n  agg check --store\n  agg check --store .agg/store.db --json")
    .action(async (opts, command) => (await import("./commands/check.js")).checkCommand(io, { ...globals(command), ...opts }));

  program
    .command("init")
    .description("write a starter feature project")
    .argument("[dir]", "the folder to create", "features")
    .addHelpText("after", "\nExamples:\n  agg init my-features\n  agg list --project my-features")
    .action(async (dir) => (await import("./commands/init.js")).initCommand(io, dir));

  return program as unknown as Command;
}

const VERSION = "0.1.0";
