import { AggError } from "../../errors.js";
import type { GlobalOptions } from "../context.js";
import type { Io } from "../io.js";

export async function queryCommand(_io: Io, _options: GlobalOptions & Record<string, unknown>): Promise<void> {
  throw new AggError("runtime", "agg query is not implemented yet");
}
