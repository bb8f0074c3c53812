// Database triggers ({type:'database', table, operations}): a reader of the realtime outbox (realtime.changes) that
// keeps its position in selfdb.function_trigger_cursor. It reads with the realtime service's change feed (common/
// src/change-feed.ts: never past a gap a running transaction may still fill) and, for each batch of committed
// changes, enqueues one job per (change, matching function) and advances the cursor in the same transaction, so
// each change runs its functions exactly once across restarts of the backend, the runtime and Postgres. Several
// backend processes may run it: the cursor row is locked for each batch and changes at or below it are skipped.
import { ChangeFeed, type ChangeRow, type FunctionTrigger, type Pool, withTransaction } from '@selfdb/common';
import { enqueueJobs, type NewJob } from './jobs.repository.ts';
import {
  advanceTriggerCursor,
  initTriggerCursor,
  listDatabaseTriggered,
  lockTriggerCursor,
  readTriggerCursor,
} from './triggers.repository.ts';

/** A change's run waits for a runtime that is down, but a function's own failure is final (no double runs). */
export const DATABASE_JOB = { maxAttempts: 5, retryDelaySeconds: 1 };

export interface DatabaseTriggersOptions {
  pool: Pool;
  /** Straight to Postgres, for LISTEN selfdb_changes. */
  directUrl: string;
  log: { info(obj: object | string, msg?: string): void; warn(obj: object | string, msg?: string): void };
  batchSize?: number;
}

/** What a database-triggered function receives (as 0.0.5's database triggers sent it). */
export function changePayload(change: ChangeRow) {
  return {
    operation: change.operation,
    table: change.table_name,
    data: change.operation === 'DELETE' ? change.old_row : change.new_row,
    old_data: change.operation === 'INSERT' ? null : change.old_row,
  };
}

/** Whether a trigger of a function matches a change. */
export function matches(trigger: FunctionTrigger, change: ChangeRow): boolean {
  if (trigger.type !== 'database' || trigger.table !== change.table_name) return false;
  const operations = Array.isArray(trigger.operations)
    ? trigger.operations.map((o) => String(o).toUpperCase())
    : [];
  return operations.length === 0 || operations.includes(change.operation);
}

export function createDatabaseTriggers(options: DatabaseTriggersOptions) {
  const { pool } = options;

  async function dispatch(changes: ChangeRow[]): Promise<void> {
    await withTransaction(pool, async (client) => {
      const handled = await lockTriggerCursor(client);
      const fresh = changes.filter((change) => change.seq > handled);
      if (fresh.length === 0) return;
      const functions = await listDatabaseTriggered(client);
      const jobs: NewJob[] = [];
      for (const change of fresh) {
        for (const fn of functions) {
          if (!fn.triggers.some((trigger) => matches(trigger, change))) continue;
          jobs.push({
            functionId: fn.id,
            triggerType: 'database',
            payload: changePayload(change),
            ...DATABASE_JOB,
          });
        }
      }
      await enqueueJobs(client, jobs);
      await advanceTriggerCursor(client, fresh[fresh.length - 1]!.seq);
    });
  }

  const feed = new ChangeFeed({
    directUrl: options.directUrl,
    pool,
    batchSize: options.batchSize ?? 500,
    log: options.log as ConstructorParameters<typeof ChangeFeed>[0]['log'],
    listenerName: 'selfdb-function-triggers',
    loadPosition: () => readTriggerCursor(pool),
    storeStartPosition: async (position) => {
      await initTriggerCursor(pool, position);
    },
    beforeAdvance: dispatch,
    onChanges: () => {},
  });

  return {
    feed,
    start() {
      return feed.start();
    },
    stop() {
      return feed.stop();
    },
  };
}
