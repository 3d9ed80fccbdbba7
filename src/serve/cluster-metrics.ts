import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";

// Under --workers N each worker counts its own requests; GET /metrics, whichever worker
// answers it, asks the primary, which gathers every worker's registry (prom-client's
// AggregatorRegistry: counters and histograms summed, the series ages taken once).

const REQUEST = "agg-serve:metrics";
const REPLY = "agg-serve:metrics-reply";
const TIMEOUT_MS = 5_000;

interface Message {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly text?: unknown;
  readonly error?: unknown;
}

/** In the primary: answers the workers' requests for the merged metrics; returns the function that stops it. */
export function answerMetricsRequests(): () => void {
  const aggregator = new AggregatorRegistry();
  const onMessage = (worker: Worker, message: Message) => {
    if (message?.type !== REQUEST) return;
    const reply = (body: object) => {
      if (worker.isConnected()) worker.send({ type: REPLY, id: message.id, ...body });
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  };
  cluster.on("message", onMessage);
  return () => cluster.off("message", onMessage);
}

/** In a worker: offers `registry` to the primary's gathering, and returns what GET /metrics sends. */
export function clusterMetricsClient(registry: Registry): () => Promise<string> {
  // Constructing one installs prom-client's answer to the primary's gathering requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let next = 0;
  process.on("message", (message: Message) => {
    if (message?.type !== REPLY || typeof message.id !== "number") return;
    const request = pending.get(message.id);
    if (request === undefined) return;
    pending.delete(message.id);
    clearTimeout(request.timer);
    if (typeof message.text === "string") request.resolve(message.text);
    else request.reject(new Error(`the primary could not gather the workers' metrics: ${String(message.error)}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary did not send the workers' metrics within ${TIMEOUT_MS / 1000} s`));
      }, TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      process.send?.({ type: REQUEST, id });
    });
}
