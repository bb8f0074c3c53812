// The maintenance session: a direct connection to the server's `postgres` database (never through PgBouncer),
// which holds the backup/restore advisory lock for as long as the operation runs and issues the statements that
// cannot run inside the database they change (CREATE, RENAME and DROP DATABASE, terminating sessions).
//
// Why a session lock on a direct connection rather than pg_try_advisory_xact_lock through PgBouncer: the xact
// form would keep a transaction, and so a pooled server connection, open for the whole backup, which PgBouncer
// counts against the pool and may cut (idle_transaction_timeout). A direct session holds the lock at no pool
// cost and drops it when the process dies. It lives in `postgres`, not in the SelfDB database, because a
// restore renames that database, which requires that nobody, the lock holder included, is connected to it.
import { hasSqlState, SqlState } from '@selfdb/common';
import pg from 'pg';
import { tryLockOperation, unlockOperation } from './backups.repository.ts';
import { databaseOf, withDatabase } from './postgres-tools.ts';

export interface MaintenanceSession {
  client: pg.Client;
  /** The SelfDB database the lock is for. */
  database: string;
  release(): Promise<void>;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'selfdb-backups' });
  // A dropped connection loses the lock; the running operation then fails on its next statement.
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Opens a maintenance session on `postgres` (template1 when there is no `postgres` database). */
export async function openMaintenanceSession(directUrl: string): Promise<pg.Client> {
  try {
    return await connect(withDatabase(directUrl, 'postgres'));
  } catch (err) {
    if (!hasSqlState(err, SqlState.INVALID_CATALOG_NAME)) throw err;
    return connect(withDatabase(directUrl, 'template1'));
  }
}

/**
 * Takes the backup/restore lock of the database of `directUrl`; null when another process (or this one) runs a
 * backup or restore of it now.
 */
export async function acquireOperationLock(directUrl: string): Promise<MaintenanceSession | null> {
  const database = databaseOf(directUrl);
  const client = await openMaintenanceSession(directUrl);
  let locked = false;
  try {
    locked = await tryLockOperation(client, database);
  } finally {
    if (!locked) await client.end().catch(() => {});
  }
  if (!locked) return null;
  return {
    client,
    database,
    async release() {
      await unlockOperation(client, database).catch(() => {});
      await client.end().catch(() => {});
    },
  };
}
