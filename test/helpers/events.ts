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

/**
 * A transaction as the query tests build it: the event time as epoch ms. A type, not an
 * interface, so that it passes where a row (a string-keyed record) is expected.
 */
export type Txn = {
  id: string;
  user_id: string;
  merchant_id: string;
  amount: number;
  category: string | null;
  ts: number;
};

/**
 * Seeded events over [start, start + span) for 4 users and 3 merchants: amounts are
 * multiples of 1/4, so sums are exact in any order; one in seven sits exactly on an hour
 * boundary.
 */
export function seededTxns(count: number, start: number, spanMs: number, seed: number, options: { readonly id: (i: number) => string; readonly categories: readonly (string | null)[] }): Txn[] {
  const random = prng(seed);
  const { categories } = options;
  return Array.from({ length: count }, (_, i) => {
    const raw = start + Math.floor(random() * spanMs);
    return {
      id: options.id(i),
      user_id: `u${Math.floor(random() * 4)}`,
      merchant_id: `m${Math.floor(random() * 3)}`,
      amount: Math.round(random() * 880 - 80) / 4,
      category: categories[Math.floor(random() * categories.length)] ?? null,
      ts: i % 7 === 0 ? raw - (raw % 3_600_000) : raw,
    };
  });
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
