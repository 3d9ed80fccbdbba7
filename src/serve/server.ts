import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { isUtf8 } from "node:buffer";
import type { Project } from "../project/model.js";
import type { Db } from "../store/sqlite/open-store.js";
import { bearerGuard } from "./auth.js";
import { clusterMetricsClient } from "./cluster-metrics.js";
import { HttpError, errorBody, toHttpError } from "./http-error.js";
import type { ServeLimits } from "./limits.js";
import { serveMetrics } from "./metrics.js";
import { bulkQuery, type BulkBody } from "./routes/bulk-query.js";
import { feastFeatures, type FeastBody } from "./routes/feast-features.js";
import { health } from "./routes/health.js";
import { onlineQuery, type OnlineBody } from "./routes/online-query.js";
import type { RouteContext } from "./routes/route-context.js";
import { bulkSchema, feastSchema, onlineSchema } from "./schemas.js";
import { seriesAges } from "./series-ages.js";
import { servedProject, type ServedProject } from "./served-project.js";

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly db: Db;
  readonly storePath: string;
  readonly project: Project;
  /** Required as `Authorization: Bearer <token>` on every endpoint but /health; null: none. */
  readonly token: string | null;
  readonly limits: ServeLimits;
  readonly now: () => number;
  /** A request that failed inside the server (a 500): for the CLI to log. */
  readonly onInternalError?: (error: unknown, request: string) => void;
  /** A worker of --workers N: GET /metrics answers with every worker's metrics, merged by the primary. */
  readonly clusterWorker?: boolean;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Serves `project` (and `token`) from the next request on; both are swapped together. */
  reload(project: Project, token: string | null): void;
  /** Records that a reload failed (GET /health shows when). */
  reloadFailed(at: number): void;
  /**
   * Stops accepting connections, answers the requests already arriving, closes idle
   * keep-alive connections; resolves once every request is answered, or after `graceMs`
   * with the connections still open cut.
   */
  close(graceMs: number): Promise<{ answered: number; cut: boolean }>;
}

const ENDPOINTS = ["/v1/query/online", "/v1/query/bulk", "/get-online-features", "/health", "/metrics"] as const;
const JSON_TYPE = "application/json; charset=utf-8";

/** Starts the HTTP server on `host:port` (0: any free port); resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { db, limits } = options;
  let served: ServedProject = servedProject(db, options.project, options.now());
  let guard = options.token === null ? null : bearerGuard(options.token);
  let reloadFailedAt: number | null = null;
  let answered = 0;
  const ctx: RouteContext = { served: () => served, now: options.now, limits };
  const metrics = serveMetrics(() => seriesAges(db, served.defs, options.now()));
  const clusterMetrics = options.clusterWorker === true ? clusterMetricsClient(metrics.registry) : null;

  const app = Fastify({
    logger: false,
    bodyLimit: limits.maxBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: 2 * limits.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    // Node checks the header and request deadlines every 30 s by default: a client dripping
    // headers would hold its connection that long; here it is cut within a second of them.
    http: { headersTimeout: Math.min(limits.requestTimeoutMs, 10_000), connectionsCheckingInterval: Math.min(1_000, Math.ceil(limits.requestTimeoutMs / 2)) },
    // Types are checked, never coerced, and unknown fields are refused, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });

  // JSON only, as UTF-8 (bytes that are not would decode to U+FFFD and name another id).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: unknown) => void) => {
    if (body.length === 0) return done(new HttpError(400, "invalid_json", "the request body is empty", "send a JSON object"));
    if (!isUtf8(body)) return done(new HttpError(400, "invalid_json", "the request body is not UTF-8", "send JSON as UTF-8 text"));
    try {
      done(null, JSON.parse(body.toString("utf8")));
    } catch (error) {
      done(new HttpError(400, "invalid_json", `the request body is not valid JSON: ${(error as Error).message}`, "send one JSON object"));
    }
  });

  // Auth first, before a body is read: a client without the token costs a header parse.
  app.addHook("onRequest", (request, _reply, done) => {
    if (guard !== null && request.routeOptions.url !== "/health") {
      try {
        guard(request.headers.authorization);
      } catch (error) {
        return done(error as Error);
      }
    }
    done();
  });
  app.addHook("onResponse", (request, reply, done) => {
    answered++;
    metrics.observe(request.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.setErrorHandler((error, request, reply) => {
    const { http, internal } = toHttpError(error, limits);
    if (internal) options.onInternalError?.(error, `${request.method} ${request.url.slice(0, 200)}`);
    sendError(reply, http);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    const known = (ENDPOINTS as readonly string[]).includes(path);
    const allow = path === "/health" || path === "/metrics" ? "GET" : "POST";
    sendError(reply, known ? new HttpError(405, "method_not_allowed", `${path} takes ${allow}, not ${request.method}`, null, { allow }) : new HttpError(404, "not_found", `no endpoint ${request.method} ${path.slice(0, 200)}`, `the endpoints are POST /v1/query/online, POST /v1/query/bulk, POST /get-online-features, GET /health, GET /metrics`));
  });

  const json = (reply: FastifyReply, body: unknown, status = 200) => reply.code(status).type(JSON_TYPE).send(JSON.stringify(body));
  app.post("/v1/query/online", { schema: { body: onlineSchema(limits) } }, (request, reply) => json(reply, onlineQuery(ctx, request.body as OnlineBody)));
  app.post("/v1/query/bulk", { schema: { body: bulkSchema(limits) } }, (request, reply) => json(reply, bulkQuery(ctx, request.body as BulkBody)));
  app.post("/get-online-features", { schema: { body: feastSchema(limits) } }, (request, reply) => json(reply, feastFeatures(ctx, request.body as FeastBody)));
  app.get("/health", (_request, reply) => {
    const body = health(ctx, { storePath: options.storePath, reloadFailedAt: () => reloadFailedAt });
    json(reply, body, body.status === "ok" ? 200 : 503);
  });
  app.get("/metrics", async (_request, reply) => {
    const text = clusterMetrics === null ? await metrics.registry.metrics() : await clusterMetrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  return {
    host: options.host,
    port,
    reload(project, token) {
      const next = servedProject(db, project, options.now());
      const nextGuard = token === null ? null : bearerGuard(token);
      served = next;
      guard = nextGuard;
      reloadFailedAt = null;
    },
    reloadFailed(at) {
      reloadFailedAt = at;
    },
    async close(graceMs) {
      let cut = false;
      const timer = setTimeout(() => {
        cut = true;
        app.server.closeAllConnections();
      }, graceMs);
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
      }
      return { answered, cut };
    },
  };
}

function sendError(reply: FastifyReply, error: HttpError): void {
  reply.code(error.status).headers(error.headers).type(JSON_TYPE).send(JSON.stringify(errorBody(error)));
}
