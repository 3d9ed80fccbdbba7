import type { MessageSource, SourceContext } from "./message-source.js";
import type { SourceSettings } from "./source-settings.js";

/** Connects to the broker `settings` name and checks that what it reads exists; each broker's module loads only when used. */
export async function openMessageSource(settings: SourceSettings, ctx: SourceContext, where: string): Promise<MessageSource> {
  if (settings.kind === "redis") return (await import("./redis-stream-source.js")).openRedisSource(settings, ctx, where);
  return (await import("./pubsub-source.js")).openPubSubSource(settings, ctx, where);
}
