import { features, string, int, datetime } from "agg";

/** One US domestic flight of 2001 (vega-datasets' flights-3m), as the bench writes it. */
export const Flight = features("flight", {
  id: string().primary(),
  origin: string().references("airport.id"),
  dest: string(),
  delay: int(), // departure delay, minutes (negative: early)
  distance: int(), // miles
  time: datetime().featureTime(),
});
