import { stream } from "agg";
import { z } from "zod";
import { Flight } from "./flight.js";

/** Flights as scripts/bench-flights.js writes them: one JSON object per line. */
export const processFlights = stream({
  source: "flights",
  message: z.object({
    id: z.string(),
    time: z.string(),
    delay: z.number().int(),
    distance: z.number().int(),
    origin: z.string(),
    destination: z.string(),
  }),
  output: Flight,
  resolve: (m) => ({ id: m.id, origin: m.origin, dest: m.destination, delay: m.delay, distance: m.distance, time: m.time }),
});
