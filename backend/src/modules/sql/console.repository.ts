import type { PoolClient } from '@selfdb/common';
import pg from 'pg';
import Cursor from 'pg-cursor';

/** What one console statement produced. */
export interface StatementResult {
  /** Column names when the statement returns rows (SELECT, … RETURNING), else null. */
  columns: string[] | null;
  rows: Record<string, unknown>[];
  /** Rows returned (at most the cap) or, for statements without rows, rows affected. */
  rowCount: number | null;
  /** The statement had more rows than the cap; only the first ones are in `rows`. */
  truncated: boolean;
}

const { builtins } = pg.types;
// Types whose JavaScript form would misstate the value: dates and naive timestamps shift with the server's time zone,
// intervals become objects, bytea becomes a Buffer. The console shows them as Postgres writes them.
const AS_TEXT = new Set<number>([
  builtins.BYTEA,
  builtins.DATE,
  builtins.TIME,
  builtins.TIMETZ,
  builtins.TIMESTAMP,
  builtins.INTERVAL,
]);
const asText = (value: string) => value;
const bigint = (value: string) => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
};
const CONSOLE_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (AS_TEXT.has(oid)) return asText;
    if (oid === builtins.INT8) return bigint;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

// Rows fetched per round trip from statements whose rows are not shown (they still run to the end).
const DISCARD_BATCH = 1000;

function read(cursor: Cursor, rows: number) {
  return new Promise<{ rows: unknown[][]; result: pg.QueryResult }>((resolve, reject) => {
    cursor.read(rows, (err, batch, result) => (err ? reject(err) : resolve({ rows: batch, result })));
  });
}

/**
 * WARNING: runs admin-written SQL text as is (the point of the SQL console); only `/sql/query` calls it, after
 * `checkScript`. One statement through a portal, so at most `keepRows + 1` rows ever cross the wire; `keepRows` 0
 * runs the statement to its end and keeps nothing. Postgres computes a cut SELECT only as far as it was read.
 */
export async function runStatement(
  client: PoolClient,
  text: string,
  keepRows: number,
): Promise<StatementResult> {
  // Rows as arrays, made into objects below with own properties only: a column named `__proto__` stays a column.
  const cursor = client.query(new Cursor(text, undefined, { rowMode: 'array', types: CONSOLE_TYPES }));
  let batch = await read(cursor, keepRows > 0 ? keepRows + 1 : DISCARD_BATCH);
  if (keepRows === 0) {
    while (batch.rows.length === DISCARD_BATCH) batch = await read(cursor, DISCARD_BATCH);
    return { columns: null, rows: [], rowCount: batch.result.rowCount, truncated: false };
  }
  const truncated = batch.rows.length > keepRows;
  // A suspended portal must be closed before the transaction goes on; a finished one closed itself.
  if (truncated) await cursor.close();
  const fields = batch.result.fields ?? [];
  if (fields.length === 0)
    return { columns: null, rows: [], rowCount: batch.result.rowCount, truncated: false };
  const columns = fields.map((field) => field.name);
  const rows = (truncated ? batch.rows.slice(0, keepRows) : batch.rows).map((values) =>
    Object.fromEntries(columns.map((name, i) => [name, values[i]])),
  );
  return { columns, rows, rowCount: rows.length, truncated };
}

/**
 * Opens the script's transaction: read-only or not, with the statement timeout, the acting SelfDB user (read by
 * the schema change log) and the role the script acts as (`role`, null: the connection's own) as transaction-local
 * settings. Acting as selfdb_owner, what the script creates is SelfDB's, and the login role itself (whose password
 * and settings a role may always change) is not the current user.
 */
export async function beginScript(
  client: PoolClient,
  options: { readOnly: boolean; statementTimeoutMs: number; userId: string; role: string | null },
): Promise<void> {
  await client.query(options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN READ WRITE');
  await client.query(
    "SELECT set_config('statement_timeout', $1, true), set_config('selfdb.user_id', $2, true), set_config('role', COALESCE($3, current_setting('role')), true)",
    [String(options.statementTimeoutMs), options.userId, options.role],
  );
}

/** Puts back the settings a script may have changed with SET LOCAL, before SelfDB's own queries run after it. */
export async function restoreScriptSettings(
  client: PoolClient,
  options: { statementTimeoutMs: number; role: string | null },
): Promise<void> {
  await client.query(
    "SELECT set_config('statement_timeout', $1, true), set_config('search_path', '\"$user\", public', true), set_config('role', COALESCE($2, 'none'), true)",
    [String(options.statementTimeoutMs), options.role],
  );
}

export async function commitScript(client: PoolClient): Promise<void> {
  await client.query('COMMIT');
}

/** Rolls the script's transaction back; returns the error when even that failed (the connection is gone). */
export async function rollbackScript(client: PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
