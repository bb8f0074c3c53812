import { createPool, type Pool, withTransaction } from '@selfdb/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import { foldRowCounts, pruneChanges, tryPruneLock } from './maintenance.repository.ts';

export interface MaintenanceResult {
  /** Outbox rows deleted; null when another backend held the lock. */
  pruned: number | null;
  /** Row-count deltas folded; null when another backend was folding. */
  folded: number | null;
}

/** Prunes realtime.changes by age and size, unless another backend is doing it (null then). */
export async function pruneOutbox(pool: Pool, retention: Config['outbox']): Promise<number | null> {
  return withTransaction(pool, async (client) =>
    (await tryPruneLock(client))
      ? pruneChanges(client, retention.retentionHours, retention.retentionMaxRows)
      : null,
  );
}

/** Folds the row-count deltas into one row per table, unless another backend is doing it (null then). */
export async function foldTableRowCounts(pool: Pool): Promise<number | null> {
  return withTransaction(pool, (client) => foldRowCounts(client));
}

/**
 * One maintenance pass: prune the outbox, then fold the row counts. Each step is one transaction under a
 * transaction-scoped advisory lock, so several backends may run it at once and one does the work; nothing depends
 * on session state (PgBouncer in transaction mode).
 */
export async function runTablesMaintenance(
  pool: Pool,
  retention: Config['outbox'],
): Promise<MaintenanceResult> {
  return { pruned: await pruneOutbox(pool, retention), folded: await foldTableRowCounts(pool) };
}

/**
 * How often row-count deltas are folded. Unfiltered data reads sum a table's deltas (one per write statement since
 * the last fold), so a busy table must not wait long; folding little is cheap.
 */
const FOLD_INTERVAL_MS = 10_000;

/**
 * Starts the periodic maintenance on a pool of its own: outbox pruning every REALTIME_PRUNE_INTERVAL_SECONDS (0:
 * never) and row-count folding every 10 s. Started by server.ts, not buildApp, so tests and benchmarks stay quiet;
 * `stop()` waits for a pass in progress.
 */
export function startTablesMaintenance(
  config: Readonly<Config>,
  log: FastifyBaseLogger,
): { stop(): Promise<void> } {
  const pool = createPool(config.databaseUrl, { max: 1, applicationName: 'selfdb-maintenance' });
  const running = new Set<Promise<void>>();
  /** Runs `task` every `ms`, never two of the same at once. */
  const every = (ms: number, name: string, task: () => Promise<void>) => {
    let current: Promise<void> | null = null;
    const timer = setInterval(() => {
      if (current) return;
      current = task()
        .catch((err: unknown) => log.warn({ err }, `${name} failed; retrying next interval`))
        .finally(() => {
          running.delete(current!);
          current = null;
        });
      running.add(current);
    }, ms);
    timer.unref();
    return timer;
  };
  const timers = [
    every(FOLD_INTERVAL_MS, 'row count folding', async () => {
      await foldTableRowCounts(pool);
    }),
  ];
  const pruneMs = config.outbox.pruneIntervalSeconds * 1000;
  if (pruneMs > 0) {
    timers.push(
      every(pruneMs, 'outbox pruning', async () => {
        const pruned = await pruneOutbox(pool, config.outbox);
        if (pruned) log.info({ pruned }, 'pruned realtime outbox');
      }),
    );
  }
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running);
      await pool.end();
    },
  };
}
