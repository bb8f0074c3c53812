// Settings every benchmark reads from the environment, and the order of its measured runs.

export function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min)
    throw new Error(`${name} must be a number >= ${min} (got ${raw})`);
  return value;
}

export interface BenchSettings {
  /** Length of each measured run. */
  seconds: number;
  /** Warm-up per server before measuring (0 skips it). */
  warmupSeconds: number;
  connections: number;
  /** How many ABBA blocks (four runs each) to measure. */
  rounds: number;
  /** When set, the benchmark fails below this throughput ratio. */
  minRatio: number | undefined;
}

/** BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_MIN_RATIO. */
export function readSettings(): BenchSettings {
  return {
    seconds: envNumber('BENCH_SECONDS', 10, 1),
    warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', 3, 0),
    connections: envNumber('BENCH_CONNECTIONS', 10, 1),
    rounds: Math.floor(envNumber('BENCH_ROUNDS', 1, 1)),
    minRatio: process.env.BENCH_MIN_RATIO ? envNumber('BENCH_MIN_RATIO', 0, 0) : undefined,
  };
}

export type Target = 'selfdb' | 'baseline';

/**
 * ABBA order, repeated `rounds` times: each target runs early and late, so drift (caches warming, the machine heating
 * up, another process starting) weighs on both alike.
 */
export function abbaOrder(rounds: number): Target[] {
  return Array.from({ length: rounds }, () => ['selfdb', 'baseline', 'baseline', 'selfdb'] as const).flat();
}
