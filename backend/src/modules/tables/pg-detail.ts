import { AppError, hasSqlState, SqlState, toPgAppError } from '@selfdb/common';

/** A query that failed because the cached metadata is stale: the table or a column is gone or renamed. */
export function isStaleMetadataError(err: unknown): boolean {
  return hasSqlState(err, SqlState.UNDEFINED_TABLE, SqlState.UNDEFINED_COLUMN);
}

/**
 * Postgres errors of data and DDL statements as clear 4xx answers, in the table's own words: the one mapping
 * (common/src/pg-errors.ts) with Postgres's message, which names the type, column, constraint or object at fault and says
 * nothing a caller allowed to run the statement may not know. Anything else is returned unchanged (the error handler
 * answers it).
 */
export function toTableError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  return toPgAppError(err, { verbose: true }) ?? err;
}
