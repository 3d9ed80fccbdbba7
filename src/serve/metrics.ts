import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** One series' freshness at scrape time, in seconds (null: nothing yet). */
export interface SeriesAge {
  readonly series: string;
  readonly newestEventAgeSeconds: number | null;
  readonly materializedAgeSeconds: number | null;
}

export interface ServeMetrics {
  readonly registry: Registry;
  /** Counts one answered request; `endpoint` is a route's path, never text from the request. */
  observe(endpoint: string, status: number, seconds: number): void;
}

/**
 * The server's Prometheus metrics: requests by endpoint and status, a latency histogram,
 * each series' data age (read from the store at scrape time by `seriesAges`), and
 * prom-client's process metrics. Label values come from the server's own route table and
 * the project, so a client cannot add label values (nor grow memory) by what it sends.
 */
export function serveMetrics(seriesAges: () => readonly SeriesAge[]): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: "agg_serve_requests_total", help: "Requests answered, by endpoint and HTTP status.", labelNames: ["endpoint", "status"] as const, registers: [registry] });
  const latency = new Histogram({
    name: "agg_serve_request_duration_seconds",
    help: "Time from the request's arrival to its response, by endpoint.",
    labelNames: ["endpoint"] as const,
    buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  // Both gauges are set by the first one's collect, which a scrape runs before reading either.
  const materialized = new Gauge({ name: "agg_series_materialized_age_seconds", help: "Now minus each series' materialized-through time (what its buckets hold every row up to).", labelNames: ["series"] as const, registers: [], aggregator: "first" });
  const newest = new Gauge({
    name: "agg_series_newest_event_age_seconds",
    help: "Now minus the newest event time ingested into each series.",
    labelNames: ["series"] as const,
    registers: [registry],
    aggregator: "first",
    collect() {
      newest.reset();
      materialized.reset();
      for (const s of seriesAges()) {
        if (s.newestEventAgeSeconds !== null) newest.set({ series: s.series }, s.newestEventAgeSeconds);
        if (s.materializedAgeSeconds !== null) materialized.set({ series: s.series }, s.materializedAgeSeconds);
      }
    },
  });
  registry.registerMetric(materialized);
  return {
    registry,
    observe(endpoint, status, seconds) {
      requests.inc({ endpoint, status: String(status) });
      latency.observe({ endpoint }, seconds);
    },
  };
}
