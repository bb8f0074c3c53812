import { type Pool, withTransaction } from '@selfdb/common';
import { pruneFunctionHistory } from './functions.repository.ts';

/** Rows of each kind deleted per transaction: a long backlog is pruned in short transactions. */
const PRUNE_BATCH = 5000;

/**
 * Deletes function executions and log lines older than `retentionDays` (FUNCTION_LOG_RETENTION_DAYS), in
 * batches, under a transaction-scoped advisory lock (safe through PgBouncer): when several backends run it at once,
 * one does the work and the others get null.
 */
export async function pruneFunctionRuns(
  pool: Pool,
  retentionDays: number,
): Promise<{ executions: number; logs: number } | null> {
  const total = { executions: 0, logs: 0 };
  for (;;) {
    const pass = await withTransaction(pool, (client) =>
      pruneFunctionHistory(client, retentionDays, PRUNE_BATCH),
    );
    if (!pass) return total.executions + total.logs > 0 ? total : null;
    total.executions += pass.executions;
    total.logs += pass.logs;
    if (pass.executions < PRUNE_BATCH && pass.logs < PRUNE_BATCH) return total;
  }
}
