import { type Pool, type PoolClient, SqlState } from '@selfdb/common';
import {
  beginScript,
  commitScript,
  restoreScriptSettings,
  rollbackScript,
  runStatement,
  type StatementResult,
} from './console.repository.ts';
import { snapshotTables, syncRegistry } from './registry-sync.ts';

/** SQLSTATE read_only_sql_transaction: Postgres's word that the script writes. */
const READ_ONLY_VIOLATION = SqlState.READ_ONLY_SQL_TRANSACTION;

export interface ScriptOptions {
  statementTimeoutMs: number;
  maxRows: number;
  /** The admin running the script: owner of the tables it creates, named in the schema change log. */
  userId: string;
  /** The database role the script acts as (SET LOCAL ROLE); null: the console connection's own role. */
  role: string | null;
}

export interface ScriptOutcome extends StatementResult {
  readOnly: boolean;
}

/** Where a failed script got to, for its history entry. */
export interface ScriptProgress {
  readOnly: boolean;
}

async function runAll(client: PoolClient, statements: string[], maxRows: number): Promise<StatementResult> {
  for (const statement of statements.slice(0, -1)) await runStatement(client, statement, 0);
  return runStatement(client, statements.at(-1)!, maxRows);
}

const isConnectionLoss = (err: unknown) => typeof (err as { code?: unknown })?.code !== 'string';

/**
 * Runs a checked script in one transaction on one console connection and returns the last statement's result.
 * Postgres decides whether the script is read-only: it runs first in a READ ONLY transaction, and only when Postgres
 * refuses a write there (SQLSTATE 25006) is it rolled back and run again read-write, followed, in the same
 * transaction, by the registry catch-up. Any error rolls everything back. A script that reads before it writes thus
 * runs its reads twice.
 */
export async function runScript(
  pool: Pool,
  statements: string[],
  options: ScriptOptions,
  progress: ScriptProgress,
): Promise<ScriptOutcome> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const abort = async (err: unknown) => {
    broken = (await rollbackScript(client)) ?? (isConnectionLoss(err) ? (err as Error) : undefined);
    return err;
  };
  try {
    progress.readOnly = true;
    try {
      await beginScript(client, { ...options, readOnly: true });
      const result = await runAll(client, statements, options.maxRows);
      await commitScript(client);
      return { ...result, readOnly: true };
    } catch (err) {
      await abort(err);
      if ((err as { code?: string }).code !== READ_ONLY_VIOLATION || broken) throw err;
    }

    progress.readOnly = false;
    try {
      await beginScript(client, { ...options, readOnly: false });
      const before = await snapshotTables(client);
      const result = await runAll(client, statements, options.maxRows);
      await restoreScriptSettings(client, options);
      await syncRegistry(client, before, options.userId);
      await commitScript(client);
      return { ...result, readOnly: false };
    } catch (err) {
      throw await abort(err);
    }
  } finally {
    client.release(broken);
  }
}
