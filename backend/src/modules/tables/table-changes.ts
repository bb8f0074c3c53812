import { type Actor, ERRORS, type Pool, type PoolClient, withTransaction } from '@selfdb/common';
import { enableCapture, prepareDdl, syncUpdatedAtTrigger } from './ddl.repository.ts';
import { toTableError } from './pg-detail.ts';
import { assertCanManageTable } from './table-access.ts';
import type { TableMetaCache } from './table-meta.ts';
import { findTableById, type TableRow } from './tables.repository.ts';

export interface ChangeDeps {
  pool: Pool;
  cache: TableMetaCache;
}

/**
 * Runs a change of table `id` as one transaction: locks its registry row (changes of one table queue up), checks
 * that the caller may manage it, runs `work` (DDL and registry update together, so a failure leaves nothing
 * half-done), and drops the table's cached metadata whatever the outcome.
 */
export async function changeTable<T>(
  deps: ChangeDeps,
  actor: Actor,
  id: string,
  work: (client: PoolClient, table: TableRow) => Promise<T>,
): Promise<T> {
  try {
    return await withTransaction(deps.pool, async (client) => {
      await prepareDdl(client, actor.id);
      const table = await findTableById(client, id, { forUpdate: true });
      if (!table) throw ERRORS.tableNotFound();
      assertCanManageTable(actor, table);
      return await work(client, table);
    });
  } catch (err) {
    throw toTableError(err);
  } finally {
    deps.cache.invalidate(id);
  }
}

/**
 * After a column change: the updated_at trigger follows the columns, and change capture is re-armed when it is on
 * (its trigger carries the primary key column names, which a rename or drop may have changed).
 */
export async function refreshTableTriggers(client: PoolClient, table: TableRow, name = table.name) {
  await syncUpdatedAtTrigger(client, name);
  if (table.realtime_enabled) await enableCapture(client, name, table.id);
}
