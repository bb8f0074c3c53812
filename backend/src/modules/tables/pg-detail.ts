import { AppError } from '@selfdb/common';
import { toPgAppError } from '../../db/pg-errors.ts';

const asPg = (err: unknown): { code?: unknown } => (typeof err === 'object' && err !== null ? err : {});

/** A query that failed because the cached metadata is stale: the table or a column is gone or renamed. */
export function isStaleMetadataError(err: unknown): boolean {
  const code = asPg(err).code;
  return code === '42P01' || code === '42703';
}

/**
 * Postgres errors of data and DDL statements as clear 4xx answers, in the table's own words: the one mapping
 * (db/pg-errors.ts) with Postgres's message, which names the type, column, constraint or object at fault and says
 * nothing a caller allowed to run the statement may not know. Anything else is returned unchanged (the error handler
 * answers it).
 */
export function toTableError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  return toPgAppError(err, { verbose: true }) ?? err;
}
