/** Deterministic synthetic transactions for tests: a seeded PRNG, no Math.random. */
export interface TestTransaction {
  id: string;
  user_id: string;
  merchant_id: string;
  amount: number;
  category: string | null;
  ts: string;
}

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  readonly count: number;
  readonly seed?: number;
  readonly users?: number;
  readonly merchants?: number;
  /** Events spread over [start, start + spanMs). */
  readonly start?: number;
  readonly spanMs?: number;
}

const CATEGORIES = ["food", "travel", "bars", null] as const;

/** `count` transactions: amounts with two decimals, some negative (refunds), times in random order. */
export function generateTransactions(options: GenerateOptions): TestTransaction[] {
  const random = prng(options.seed ?? 1);
  const users = options.users ?? 20;
  const merchants = options.merchants ?? 5;
  const start = options.start ?? Date.UTC(2024, 1, 1);
  const span = options.spanMs ?? 40 * 86_400_000;
  const out: TestTransaction[] = [];
  for (let i = 0; i < options.count; i++) {
    out.push({
      id: `t${i}`,
      user_id: `u${Math.floor(random() * users)}`,
      merchant_id: `m${Math.floor(random() * merchants)}`,
      amount: Math.round(random() * 100_000 - 5_000) / 100,
      category: CATEGORIES[Math.floor(random() * CATEGORIES.length)] ?? null,
      ts: new Date(start + Math.floor(random() * span)).toISOString(),
    });
  }
  return out;
}

export function toNdjson(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
}
