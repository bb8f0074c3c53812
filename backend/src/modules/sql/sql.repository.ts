import type { Queryable } from '@selfdb/common';

export interface SqlHistoryRow {
  id: string;
  query: string;
  is_read_only: boolean;
  execution_time: number;
  row_count: number | null;
  error: string | null;
  executed_at: Date;
}

export interface SqlSnippetRow {
  id: string;
  name: string;
  sql_code: string;
  description: string | null;
  is_shared: boolean;
  created_by: string;
  created_at: Date;
}

const HISTORY_COLUMNS = 'id, query, is_read_only, execution_time, row_count, error, executed_at';
const SNIPPET_COLUMNS = 'id, name, sql_code, description, is_shared, created_by, created_at';
// sql_history.row_count is an INTEGER (SelfDB 0.0.5's schema).
const MAX_INT4 = 2_147_483_647;

export async function insertHistory(
  db: Queryable,
  entry: {
    userId: string;
    query: string;
    isReadOnly: boolean;
    executionTime: number;
    rowCount: number | null;
    error: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO sql_history (query, is_read_only, execution_time, row_count, error, user_id)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      entry.query,
      entry.isReadOnly,
      entry.executionTime,
      entry.rowCount === null ? null : Math.min(entry.rowCount, MAX_INT4),
      entry.error,
      entry.userId,
    ],
  );
}

/** The user's newest history entries first. */
export async function listHistory(db: Queryable, userId: string, limit: number): Promise<SqlHistoryRow[]> {
  const { rows } = await db.query<SqlHistoryRow>(
    `SELECT ${HISTORY_COLUMNS} FROM sql_history WHERE user_id = $1
     ORDER BY executed_at DESC NULLS LAST, id LIMIT $2`,
    [userId, limit],
  );
  return rows;
}

export async function deleteHistory(db: Queryable, userId: string): Promise<void> {
  await db.query('DELETE FROM sql_history WHERE user_id = $1', [userId]);
}

/** The user's own snippets and everyone's shared ones, newest first. */
export async function listSnippets(db: Queryable, userId: string): Promise<SqlSnippetRow[]> {
  const { rows } = await db.query<SqlSnippetRow>(
    `SELECT ${SNIPPET_COLUMNS} FROM sql_snippets WHERE created_by = $1 OR is_shared
     ORDER BY created_at DESC NULLS LAST, id`,
    [userId],
  );
  return rows;
}

export async function insertSnippet(
  db: Queryable,
  snippet: {
    name: string;
    sqlCode: string;
    description: string | null;
    isShared: boolean;
    createdBy: string;
  },
): Promise<SqlSnippetRow> {
  const { rows } = await db.query<SqlSnippetRow>(
    `INSERT INTO sql_snippets (name, sql_code, description, is_shared, created_by)
     VALUES ($1, $2, $3, $4, $5) RETURNING ${SNIPPET_COLUMNS}`,
    [snippet.name, snippet.sqlCode, snippet.description, snippet.isShared, snippet.createdBy],
  );
  return rows[0]!;
}

/** Deletes a snippet the user owns or that is shared; false when there is none such (a private one of another). */
export async function deleteVisibleSnippet(db: Queryable, id: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'DELETE FROM sql_snippets WHERE id = $1 AND (created_by = $2 OR is_shared)',
    [id, userId],
  );
  return (rowCount ?? 0) > 0;
}
